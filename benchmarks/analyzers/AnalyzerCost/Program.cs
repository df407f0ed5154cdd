using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using TailGuard;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Contracts;
using TailGuard.Analyzers.Determinism;
using TailGuard.Analyzers.SecretFlow;

// Usage: dotnet run -c Release --project benchmarks/analyzers/AnalyzerCost -- DIR [ROUNDS] [profile|firstlook]
// Analyzes every .cs file under DIR with a baseline analyzer that walks every operation tree (what any IOperation
// analyzer, such as the SDK's own, already pays for), then with the baseline plus each TailGuard analyzer alone and plus
// all six, and prints the process CPU each configuration took (median of ROUNDS, configurations
// interleaved, after a warm-up round). The difference is what TailGuard adds. Sequential analysis, and CPU time rather
// than wall time, so other processes on a shared machine blur it less. Last, one run of all six with the driver's
// per-analyzer accounting (what -p:ReportAnalyzer=true prints in a build) says which analyzer the time goes to.
var directory = args.Length > 0 ? args[0] : throw new ArgumentException("usage: AnalyzerCost DIR [ROUNDS]");
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var options = new CSharpParseOptions(LanguageVersion.Preview);
var trees = Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
    .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), options, path))
    .ToArray();
var packs = new ReferenceAssemblies("net10.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"), Path.Combine("ref", "net10.0"));
var references = (await packs.ResolveAsync(LanguageNames.CSharp, CancellationToken.None))
    .Add(MetadataReference.CreateFromFile(typeof(HotPathAttribute).Assembly.Location));
var compilation = CSharpCompilation.Create("Measured", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
Console.WriteLine($"{trees.Length} files, {trees.Sum(t => t.GetText().Lines.Count)} lines");

var configurations = new List<(string Name, Func<DiagnosticAnalyzer[]> Analyzers)> { ("baseline (walk every operation tree)", () => [new WalkEveryOperation()]) };
foreach (var analyzer in AllTailGuardAnalyzers())
{
    var type = analyzer.GetType();
    configurations.Add(("baseline + " + type.Name, () => [new WalkEveryOperation(), (DiagnosticAnalyzer)Activator.CreateInstance(type)!]));
}

configurations.Add(("baseline + all six TailGuard analyzers", () => [new WalkEveryOperation(), .. AllTailGuardAnalyzers()]));

// COMPARE_WITH=path/to/TailGuard.Analyzers.dll (another build, e.g. main's): its six analyzers, loaded side by side in
// their own load context, are one more configuration, interleaved with this build's: an A/B in one process.
if (Environment.GetEnvironmentVariable("COMPARE_WITH") is { Length: > 0 } other)
{
    var assembly = new IsolatedAnalyzers(Path.GetFullPath(other)).LoadFromAssemblyPath(Path.GetFullPath(other));
    var types = assembly.GetTypes().Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.IsPublic).ToArray();
    configurations.Add(($"baseline + all {types.Length} from COMPARE_WITH", () =>
        [new WalkEveryOperation(), .. types.Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)]));
    // The A/B alone: baseline, this build, the other build.
    configurations.RemoveAll(c => c.Name.StartsWith("baseline + ", StringComparison.Ordinal) && !c.Name.Contains(" all ", StringComparison.Ordinal));
}

// "profile": one warm-up and one run of all six, nothing else, for a profiler (dotnet-trace) to sample.
if (args.Length > 2 && args[2] == "profile")
{
    await RunAsync(configurations[^1].Analyzers());
    var started = Process.GetCurrentProcess().TotalProcessorTime;
    Console.WriteLine($"{await RunAsync(configurations[^1].Analyzers())} diagnostics, {(Process.GetCurrentProcess().TotalProcessorTime - started).TotalMilliseconds:F0} ms CPU");
    return;
}

// "firstlook": the secret-flow analyzer's once-per-compilation first look (SourceNames.Build) alone, on a compilation
// whose declarations the compiler has already completed, so what is timed is the look itself and not the symbol and
// attribute binding it would otherwise trigger first (work the compile does anyway). ROUNDS timed runs after a warm-up,
// this build's and COMPARE_WITH's interleaved: the median wall time and the bytes the thread allocated. Reached by
// reflection: the type is internal, and COMPARE_WITH's is another assembly's.
if (args.Length > 2 && args[2] == "firstlook")
{
    compilation.GetDeclarationDiagnostics();
    var builds = new List<(string Name, System.Reflection.Assembly Assembly)> { ("this build", typeof(SecretFlowAnalyzer).Assembly) };
    if (Environment.GetEnvironmentVariable("COMPARE_WITH") is { Length: > 0 } path)
    {
        builds.Add(("COMPARE_WITH", new IsolatedAnalyzers(Path.GetFullPath(path)).LoadFromAssemblyPath(Path.GetFullPath(path))));
    }

    var milliseconds = builds.Select(_ => new List<double>()).ToArray();
    var megabytes = builds.Select(_ => new List<double>()).ToArray();
    for (var round = 0; round <= rounds; round++)
    {
        for (var b = 0; b < builds.Count; b++)
        {
            var assembly = builds[b].Assembly;
            const System.Reflection.BindingFlags Internal = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
            var symbols = assembly.GetType("TailGuard.Analyzers.Common.TailGuardSymbols", throwOnError: true)!.GetMethod("TryCreate", Internal)!.Invoke(null, [compilation]);
            var engine = Activator.CreateInstance(assembly.GetType("TailGuard.Analyzers.SecretFlow.SecretFlowEngine", throwOnError: true)!, Internal, null, [symbols, compilation], null);
            var build = assembly.GetType("TailGuard.Analyzers.SecretFlow.SourceNames", throwOnError: true)!.GetMethod("Build", Internal)!;
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            build.Invoke(null, [engine]);
            if (round > 0)
            {
                milliseconds[b].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                megabytes[b].Add((GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 1e6);
            }
        }
    }

    for (var b = 0; b < builds.Count; b++)
    {
        milliseconds[b].Sort();
        megabytes[b].Sort();
        Console.WriteLine($"{builds[b].Name,-12} first look median {milliseconds[b][rounds / 2],6:F1} ms (min {milliseconds[b][0]:F1}, max {milliseconds[b][^1]:F1}), {megabytes[b][rounds / 2]:F2} MB allocated");
    }

    return;
}

// Warm every configuration up, then interleave them round by round, so drift (JIT, GC heap growth) hits all alike.
var cpu = new double[configurations.Count][];
// Bytes allocated by the whole process during each run: the analysis runs on the driver's threads, and a collection
// the analyzers' garbage causes is CPU that their callbacks' accounting may not show.
var allocated = new double[configurations.Count][];
var diagnostics = new int[configurations.Count];
for (var c = 0; c < configurations.Count; c++)
{
    cpu[c] = new double[rounds];
    allocated[c] = new double[rounds];
    await RunAsync(configurations[c].Analyzers());
}

for (var round = 0; round < rounds; round++)
{
    for (var c = 0; c < configurations.Count; c++)
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        diagnostics[c] = await RunAsync(configurations[c].Analyzers());
        cpu[c][round] = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds;
        allocated[c][round] = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6;
    }
}

for (var c = 0; c < configurations.Count; c++)
{
    Array.Sort(cpu[c]);
    Array.Sort(allocated[c]);
    Console.WriteLine($"{configurations[c].Name,-40} median {cpu[c][rounds / 2],8:F0} ms CPU  (min {cpu[c][0]:F0}, max {cpu[c][^1]:F0}), {allocated[c][rounds / 2],6:F0} MB allocated, {diagnostics[c]} diagnostics");
}

// The driver's accounting per analyzer, in one sequential run: wall time of each analyzer's callbacks.
{
    var analyzers = AllTailGuardAnalyzers();
    var withAnalyzers = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees).WithAnalyzers(
        ImmutableArray.Create(analyzers),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
    var reported = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    foreach (var group in reported.GroupBy(d => d.Id).OrderBy(g => g.Key))
    {
        Console.WriteLine($"  {group.Key} x{group.Count()}, e.g. {group.First()}");
    }

    foreach (var analyzer in analyzers)
    {
        var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
        Console.WriteLine($"  {analyzer.GetType().Name,-38} {telemetry.ExecutionTime.TotalMilliseconds,8:F0} ms (driver's accounting)");
    }
}

static DiagnosticAnalyzer[] AllTailGuardAnalyzers() =>
[
    new HotPathAllocationAnalyzer(), new SecretFlowAnalyzer(), new DeterminismAnalyzer(), new ReplicatedContractAnalyzer(),
    new R2P2ContractAnalyzer(), new TrustBoundaryContractAnalyzer(),
];

async Task<int> RunAsync(DiagnosticAnalyzer[] analyzers)
{
    // A new Compilation each time, so no round reuses another's bound method bodies.
    var fresh = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees);
    var withAnalyzers = fresh.WithAnalyzers(
        ImmutableArray.Create(analyzers),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
    return (await withAnalyzers.GetAnalyzerDiagnosticsAsync()).Length;
}

[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class WalkEveryOperation : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("PERF0001", "Never reported", "Never reported", "Perf", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    public static long Operations;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(block =>
        {
            foreach (var body in block.OperationBlocks)
            {
                Interlocked.Add(ref Operations, body.DescendantsAndSelf().LongCount());
            }
        });
    }
}

// Loads another build of TailGuard.Analyzers beside this one; Roslyn and everything else come from the default context.
internal sealed class IsolatedAnalyzers(string path) : System.Runtime.Loader.AssemblyLoadContext(isCollectible: false)
{
    protected override System.Reflection.Assembly? Load(System.Reflection.AssemblyName name) =>
        name.Name == "TailGuard.Analyzers" ? LoadFromAssemblyPath(path) : null;
}
