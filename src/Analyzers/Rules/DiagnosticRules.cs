using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Rules;

/// <summary>
/// Every TG3xxx, TG4xxx and TG5xxx descriptor, in one place. IDs are stable and never reused; each has a page under
/// docs/diagnostics/ and a row in AnalyzerReleases.Unshipped.md. Severities are defaults: users change them with
/// <c>dotnet_diagnostic.TGnnnn.severity</c> in .editorconfig.
/// </summary>
internal static class DiagnosticRules
{
    /// <summary>Where the rule pages live; the ID and ".md" are appended.</summary>
    internal const string HelpLinkBase = "https://github.com/tailguard/tailguard/blob/main/docs/diagnostics/";

    internal const string AllocationCategory = "TailGuard.Allocation";
    internal const string SecretFlowCategory = "TailGuard.SecretFlow";
    internal const string DeterminismCategory = "TailGuard.Determinism";

    internal static readonly DiagnosticDescriptor ReferenceTypeAllocation = new(
        "TG3001",
        "Reference type allocated on a hot path",
        "'{0}' is allocated on the heap in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Creating an instance of a class, record class, anonymous type or a 'with' copy of a record class allocates on the managed heap.",
        helpLinkUri: HelpLinkBase + "TG3001.md");

    internal static readonly DiagnosticDescriptor ArrayAllocation = new(
        "TG3002",
        "Array allocated on a hot path",
        "An array of '{0}' is allocated on the heap in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Every array creation allocates; an empty array can be Array.Empty<T>() or an empty collection expression, other buffers can be pooled or stack-allocated.",
        helpLinkUri: HelpLinkBase + "TG3002.md");

    internal static readonly DiagnosticDescriptor ParamsArrayAllocation = new(
        "TG3003",
        "Implicit params array on a hot path",
        "The call to '{0}' allocates a params array in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Passing arguments to a 'params T[]' parameter allocates an array on every call; use an overload that takes fixed arguments or a span.",
        helpLinkUri: HelpLinkBase + "TG3003.md");

    internal static readonly DiagnosticDescriptor CollectionExpressionAllocation = new(
        "TG3004",
        "Collection expression allocates on a hot path",
        "The collection expression allocates a '{0}' in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A collection expression that targets an array, a list or an interface allocates (empty ones targeting arrays or IEnumerable<T> do not); targeting Span<T> or ReadOnlySpan<T> does not.",
        helpLinkUri: HelpLinkBase + "TG3004.md");

    internal static readonly DiagnosticDescriptor BoxingAllocation = new(
        "TG3005",
        "Value type boxed on a hot path",
        "'{0}' is boxed to '{1}' in hot path '{2}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Converting a value type to object, an interface, System.Enum or System.ValueType copies it into a new heap object.",
        helpLinkUri: HelpLinkBase + "TG3005.md");

    internal static readonly DiagnosticDescriptor InheritedValueTypeMemberBoxing = new(
        "TG3006",
        "Value type call to an inherited object member boxes",
        "Calling '{0}' on value type '{1}' boxes it because '{1}' does not override it, in hot path '{2}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "ToString, GetHashCode and Equals that a struct does not override run on a boxed copy of the value.",
        helpLinkUri: HelpLinkBase + "TG3006.md");

    internal static readonly DiagnosticDescriptor InterfaceCallOnValueTypeBoxing = new(
        "TG3007",
        "Default interface member called on a value type boxes",
        "Calling default interface member '{0}' of '{1}' boxes value type '{2}' in hot path '{3}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A default interface member that the struct does not implement runs with 'this' as an object, so calling it on a struct converted to the interface boxes the struct. Members the struct implements are not reported: the JIT devirtualizes those calls and drops the box.",
        helpLinkUri: HelpLinkBase + "TG3007.md");

    internal static readonly DiagnosticDescriptor ClosureAllocation = new(
        "TG3008",
        "Closure allocated on a hot path",
        "The {0} captures {1}: a closure object and a delegate are allocated in hot path '{2}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A lambda or local function converted to a delegate that captures locals or parameters makes the compiler allocate a display class for them, and a new delegate for each conversion.",
        helpLinkUri: HelpLinkBase + "TG3008.md");

    internal static readonly DiagnosticDescriptor DelegateAllocation = new(
        "TG3009",
        "Delegate allocated on a hot path",
        "{0} allocates a new delegate in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A lambda that captures 'this', a method group of an instance method or extension method, an explicit 'new' of a delegate, or (before C# 11) a static method group allocates a delegate on every evaluation.",
        helpLinkUri: HelpLinkBase + "TG3009.md");

    internal static readonly DiagnosticDescriptor LambdaCouldBeStatic = new(
        "TG3010", "Lambda on a hot path that captures nothing should be static",
        "The lambda captures nothing: {0} (hot path '{1}')",
        AllocationCategory, DiagnosticSeverity.Info, isEnabledByDefault: true,
        description: "A lambda that captures nothing is cached by the compiler and does not allocate; 'static' keeps it that way, because a capture then becomes a compile error instead of a silent closure. Lambdas written by LINQ query clauses cannot be 'static': the query has to be rewritten in method syntax first, and no code fix is offered.",
        helpLinkUri: HelpLinkBase + "TG3010.md");

    internal static readonly DiagnosticDescriptor StringConcatenation = new(
        "TG3011",
        "String concatenation on a hot path",
        "String concatenation allocates a new string in hot path '{0}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "'+' and string.Concat on strings that are not constants allocate the result; format into a caller's buffer instead.",
        helpLinkUri: HelpLinkBase + "TG3011.md");

    internal static readonly DiagnosticDescriptor StringInterpolation = new(
        "TG3012",
        "String interpolation allocates on a hot path",
        "The interpolated string allocates a '{0}' in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "An interpolated string converted to string, FormattableString or IFormattable allocates; interpolation into a span (TryWrite) or another handler does not.",
        helpLinkUri: HelpLinkBase + "TG3012.md");

    internal static readonly DiagnosticDescriptor StringFormat = new(
        "TG3013",
        "string.Format on a hot path",
        "string.Format allocates a new string (and boxes value arguments) in hot path '{0}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "string.Format allocates its result, boxes value-type arguments and often a params array.",
        helpLinkUri: HelpLinkBase + "TG3013.md");

    internal static readonly DiagnosticDescriptor LinqAllocation = new(
        "TG3014",
        "LINQ on a hot path",
        "The LINQ call '{0}' allocates enumerators, delegates or results in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "System.Linq.Enumerable methods allocate iterator objects, enumerators and often closures; write the loop.",
        helpLinkUri: HelpLinkBase + "TG3014.md");

    internal static readonly DiagnosticDescriptor EnumeratorAllocation = new(
        "TG3015",
        "foreach over a non-struct enumerator on a hot path",
        "foreach over '{0}' allocates enumerator '{1}' in hot path '{2}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "foreach calls GetEnumerator; when it returns a class or an interface (IEnumerable<T>), the enumerator is a heap object. Arrays, strings, spans and List<T> use struct enumerators or plain loops.",
        helpLinkUri: HelpLinkBase + "TG3015.md");

    internal static readonly DiagnosticDescriptor IteratorAllocation = new(
        "TG3016",
        "Iterator on a hot path",
        "'{0}' is an iterator: every call allocates its state machine, in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A method with 'yield' compiles to a class; each call allocates an instance of it.",
        helpLinkUri: HelpLinkBase + "TG3016.md");

    internal static readonly DiagnosticDescriptor AsyncStateMachineAllocation = new(
        "TG3017",
        "Async state machine allocates on a hot path",
        "'{0}' allocates its state machine box (and a task) whenever it completes asynchronously, in hot path '{1}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "An async method returning Task, Task<T>, ValueTask or ValueTask<T> (or async void) moves its state machine to the heap when it first awaits something not yet complete; ValueTask methods with [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] reuse pooled boxes.",
        helpLinkUri: HelpLinkBase + "TG3017.md");

    internal static readonly DiagnosticDescriptor TransitiveAllocation = new(
        "TG3018",
        "Call from a hot path into a method that allocates",
        "The call to '{0}' allocates: {1}, in hot path '{2}'",
        AllocationCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A hot path is only allocation-free if what it calls is: TailGuard follows calls into methods of the same compilation (three calls deep) and reports the first allocation it finds, with the chain of calls.",
        helpLinkUri: HelpLinkBase + "TG3018.md");

    internal static readonly DiagnosticDescriptor SecretLeavesTrustDomain = new(
        "TG4001",
        "Secret leaves the trust domain",
        "Secret {0} leaves the trust domain through {1}",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Results and output buffers of [TrustDomain] implementations are read by the host, and arguments to [HostCalls] methods are handed to it; a [Secret] must not reach either except through a [Declassifier].",
        helpLinkUri: HelpLinkBase + "TG4001.md");

    internal static readonly DiagnosticDescriptor SecretToNetwork = new(
        "TG4002",
        "Secret sent over the network",
        "Secret {0} is sent over the network through {1}",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Results and output buffers of [R2P2Service] implementations become R2P2 responses, and arguments to R2P2 clients become requests; a [Secret] must not reach either except through a [Declassifier].",
        helpLinkUri: HelpLinkBase + "TG4002.md");

    internal static readonly DiagnosticDescriptor SecretToLog = new(
        "TG4003",
        "Secret written to a log or diagnostic output",
        "Secret {0} is written to {1}",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "ILogger, Console, Debug and Trace output is read by operators and the host; a [Secret] must not reach it.",
        helpLinkUri: HelpLinkBase + "TG4003.md");

    internal static readonly DiagnosticDescriptor SecretInException = new(
        "TG4004",
        "Secret in an exception",
        "Secret {0} is passed to the constructor of exception '{1}'",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Exception messages and data travel to logs, crash reports and callers outside the domain.",
        helpLinkUri: HelpLinkBase + "TG4004.md");

    internal static readonly DiagnosticDescriptor SecretToString = new(
        "TG4005",
        "Secret turned into a string",
        "Secret {0} is turned into a string by {1}",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Strings are immutable, cannot be zeroed, may be interned and end up in logs and messages; a secret must not be formatted into one.",
        helpLinkUri: HelpLinkBase + "TG4005.md");

    internal static readonly DiagnosticDescriptor SecretToNonSecretStorage = new(
        "TG4006",
        "Secret stored in storage that is not [Secret]",
        "Secret {0} is stored in '{1}', which is not [Secret]",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A field, property or static that holds a secret must itself be [Secret], or the secret escapes the analysis there.",
        helpLinkUri: HelpLinkBase + "TG4006.md");

    internal static readonly DiagnosticDescriptor VariableTimeSecretComparison = new(
        "TG4007",
        "Secret compared in variable time",
        "Secret {0} is compared with '{1}', which returns as soon as a byte differs; use CryptographicOperations.FixedTimeEquals",
        SecretFlowCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Comparisons that stop at the first difference leak, through their timing, how many leading bytes of a guess are right.",
        helpLinkUri: HelpLinkBase + "TG4007.md");

    internal static readonly DiagnosticDescriptor ApplyReadsClock = new(
        "TG5001",
        "Apply path of a replicated service reads the clock",
        "'{0}' reads the clock in apply path '{1}'; each replica would see a different time",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Every replica applies the same requests in the same order and must reach the same state; a time read while applying differs between replicas and between a replay and the first run. Put the time in the request, read by the client.",
        helpLinkUri: HelpLinkBase + "TG5001.md");

    internal static readonly DiagnosticDescriptor ApplyUsesUnseededRandom = new(
        "TG5002",
        "Apply path of a replicated service uses unseeded randomness",
        "'{0}' draws unseeded random numbers in apply path '{1}'; each replica would draw different ones",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "new Random(), Random.Shared and RandomNumberGenerator give every replica different numbers. Use a Random seeded from the replicated state or the request, or draw on the client.",
        helpLinkUri: HelpLinkBase + "TG5002.md");

    internal static readonly DiagnosticDescriptor ApplyCreatesGuid = new(
        "TG5003",
        "Apply path of a replicated service creates a new GUID",
        "'{0}' creates a new GUID in apply path '{1}'; each replica would create a different one",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Guid.NewGuid and Guid.CreateVersion7 are random (and time-based): the replicas would store different identifiers. Let the client choose the identifier, or derive it from the log (a counter in the state).",
        helpLinkUri: HelpLinkBase + "TG5003.md");

    internal static readonly DiagnosticDescriptor ApplyReadsEnvironment = new(
        "TG5004",
        "Apply path of a replicated service reads its environment",
        "'{0}' reads the process environment in apply path '{1}'; replicas run on different machines and processes",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Environment variables, the machine name, process and thread ids, processor counts and AppContext data differ between replicas. Pass configuration when the service is constructed, the same on every replica.",
        helpLinkUri: HelpLinkBase + "TG5004.md");

    internal static readonly DiagnosticDescriptor ApplyPerformsIo = new(
        "TG5005",
        "Apply path of a replicated service performs I/O",
        "'{0}' performs file, console or network I/O in apply path '{1}'; its result is not part of the replicated state",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Files, the console and the network differ between replicas and between a replay and the first run, and their effects are repeated by every replica. Keep the state in memory (it is snapshotted) and do side effects outside the apply path.",
        helpLinkUri: HelpLinkBase + "TG5005.md");

    internal static readonly DiagnosticDescriptor ApplyUsesRandomizedHash = new(
        "TG5006",
        "Apply path of a replicated service uses a per-process hash code",
        "'{0}' gives a hash code that differs between processes in apply path '{1}'",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "String hash codes, System.HashCode and RuntimeHelpers.GetHashCode are seeded per process: a value derived from them (stored, compared, or used to pick) differs between replicas. Use a stable hash of the bytes (for example XxHash64).",
        helpLinkUri: HelpLinkBase + "TG5006.md");

    internal static readonly DiagnosticDescriptor ApplyStartsConcurrentWork = new(
        "TG5007",
        "Apply path of a replicated service starts concurrent work",
        "'{0}' starts work on another thread in apply path '{1}'; its effects would land in a different order on each replica",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Tasks, threads, thread-pool items, Parallel loops and timers run beside the apply thread, so their effects interleave differently on every replica and outlive the request. Apply synchronously.",
        helpLinkUri: HelpLinkBase + "TG5007.md");

    internal static readonly DiagnosticDescriptor ReplicatedPolicyOverridden = new(
        "TG5008",
        "Routing policy declared on a replicated service is overridden",
        "'{0}' declares a routing policy, but a replicated service's calls always travel with policy Replicated or ReplicatedReadOnly",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Calls of an [R2P2Service(Replicated = true)] service are ordered by Raft before they run: they use policy 2 (read-write) or 3 ([ReadOnly]), whatever Policy the service or a method declares. Remove the Policy.",
        helpLinkUri: HelpLinkBase + "TG5008.md");

    internal static readonly DiagnosticDescriptor ReadOnlyWithoutReplication = new(
        "TG5009",
        "[ReadOnly] on a service that is not replicated",
        "'{0}' is [ReadOnly], which has no effect on a service that is not [R2P2Service(Replicated = true)]",
        DeterminismCategory, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "[ReadOnly] makes a replicated service's call travel with policy ReplicatedReadOnly (run by one replica). On a service that is not replicated nothing reads it: mark the service Replicated = true or remove the attribute.",
        helpLinkUri: HelpLinkBase + "TG5009.md");

    internal static readonly DiagnosticDescriptor ReplicationNotReferenced = new(
        "TG5010",
        "Replicated service without a reference to TailGuard.Replication",
        "'{0}' is [R2P2Service(Replicated = true)], but the project does not reference TailGuard.Replication ('TailGuard.Replication.IReplicatedService' was not found); add a reference to the TailGuard.Replication package, or remove Replicated = true",
        DeterminismCategory, DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "A replicated service's generated client wraps a ReplicatedClient and its dispatcher implements IReplicatedService, both in TailGuard.Replication. Without a reference to that package the generator emits nothing for the service, even with this error suppressed.",
        helpLinkUri: HelpLinkBase + "TG5010.md");
}
