using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Reports heap allocations (TG3001-TG3018) in hot paths: code owned by members marked [HotPath], members of [HotPath]
/// types, and implementations of [R2P2Service] and [TrustDomain] interface methods. Generated code is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HotPathAllocationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticRules.ReferenceTypeAllocation,
        DiagnosticRules.ArrayAllocation,
        DiagnosticRules.ParamsArrayAllocation,
        DiagnosticRules.CollectionExpressionAllocation,
        DiagnosticRules.BoxingAllocation,
        DiagnosticRules.InheritedValueTypeMemberBoxing,
        DiagnosticRules.InterfaceCallOnValueTypeBoxing,
        DiagnosticRules.ClosureAllocation,
        DiagnosticRules.DelegateAllocation,
        DiagnosticRules.LambdaCouldBeStatic,
        DiagnosticRules.StringConcatenation,
        DiagnosticRules.StringInterpolation,
        DiagnosticRules.StringFormat,
        DiagnosticRules.LinqAllocation,
        DiagnosticRules.EnumeratorAllocation,
        DiagnosticRules.IteratorAllocation,
        DiagnosticRules.AsyncStateMachineAllocation,
        DiagnosticRules.TransitiveAllocation);

    // What the detector looks at, and what can run a method of the compilation (TG3018), indexed by kind.
    private static readonly bool[] Watched = WatchedKinds();

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Not Analyze: generated code is not analyzed. ReportDiagnostics: every location reported is in the code analyzed,
        // so the driver need not look for [GeneratedCode] symbols in each tree a diagnostic lands in (a walk of the tree).
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private static void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        if (TailGuardSymbols.TryCreate(context.Compilation) is not { } symbols)
        {
            return;
        }

        var scope = new HotPathScope(symbols);
        var detector = new AllocationDetector(symbols);
        var summaries = new CalleeAllocationSummaries(context.Compilation, detector, scope);

        // A code-block action, not operation actions: only a hot member's block is bound, and its operations are walked
        // here in one pass, where the driver would call back once per operation (docs/performance.md, "Analyzers and
        // generators: share of build time").
        context.RegisterCodeBlockAction(block =>
        {
            var owner = block.OwningSymbol;
            if (scope.IsHotPath(owner) && MethodBodies.ExecutableRoot(owner, block.CodeBlock) is { } root &&
                block.SemanticModel.GetOperation(root, block.CancellationToken) is { } body)
            {
                Analyze(owner, body, detector, summaries, block.ReportDiagnostic);
            }
        });
    }

    private static void Analyze(
        ISymbol owner, IOperation body, AllocationDetector detector, CalleeAllocationSummaries summaries, Action<Diagnostic> report)
    {
        var hotPath = HotPathName(owner);
        var callees = new List<IMethodSymbol>(2);
        foreach (var operation in body.DescendantsAndSelf())
        {
            var kind = (int)operation.Kind;
            if (kind >= Watched.Length || !Watched[kind])
            {
                continue;
            }

            if (detector.Detect(operation) is { } finding)
            {
                // Whether the stackalloc fix applies is worked out only for what is reported, not for callees.
                if (operation is IArrayCreationOperation array && finding.Rule == DiagnosticRules.ArrayAllocation &&
                    finding.Properties is null && StackallocCandidate.IsCandidate(array))
                {
                    finding.Properties = ImmutableDictionary<string, string?>.Empty.Add(AllocationFinding.StackallocProperty, "true");
                }

                report(finding.ToDiagnostic(hotPath));
            }

            callees.Clear();
            InvokedMethods.AddTo(operation, callees);
            foreach (var callee in callees)
            {
                if (summaries.IsFollowed(callee) && summaries.AllocationChain(callee, operation.SemanticModel) is { } chain)
                {
                    report(Diagnostic.Create(
                        DiagnosticRules.TransitiveAllocation, InvokedMethods.CallSite(operation), InvokedMethods.Describe(callee), chain, hotPath));
                    break;
                }
            }
        }

        if (owner is IMethodSymbol method && (method.IsAsync || method.ReturnType.SpecialType != SpecialType.System_Void) &&
            detector.StateMachine(method, body, method.Locations[0]) is { } stateMachine)
        {
            report(stateMachine.ToDiagnostic(hotPath));
        }
    }

    private static bool[] WatchedKinds()
    {
        var kinds = AllocationDetector.Kinds.Concat(InvokedMethods.Kinds).ToArray();
        var watched = new bool[kinds.Max(kind => (int)kind) + 1];
        foreach (var kind in kinds)
        {
            watched[(int)kind] = true;
        }

        return watched;
    }

    private static string HotPathName(ISymbol owner)
    {
        var member = owner is IMethodSymbol { AssociatedSymbol: { } associated } ? associated : owner;
        var name = member is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ? member.ContainingType.Name : member.Name;
        return member.ContainingType is null ? name : member.ContainingType.Name + "." + name;
    }
}
