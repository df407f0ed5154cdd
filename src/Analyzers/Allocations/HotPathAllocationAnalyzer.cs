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

    // What the detector looks at, and what can run a method of the compilation (TG3018).
    private static readonly ImmutableArray<OperationKind> OperationKinds =
        AllocationDetector.Kinds.Concat(InvokedMethods.Kinds).Distinct().ToImmutableArray();

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
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

        // Per-operation work is registered only in types that can hold a hot path: most of a project never pays for it.
        context.RegisterSymbolStartAction(
            type =>
            {
                var namedType = (INamedTypeSymbol)type.Symbol;
                if (scope.MayContainHotPaths(namedType))
                {
                    type.RegisterOperationBlockStartAction(block => OnHotBlockStart(block, namedType, scope, detector, summaries));
                }
            },
            SymbolKind.NamedType);
    }

    private static void OnHotBlockStart(
        OperationBlockStartAnalysisContext block, INamedTypeSymbol type, HotPathScope scope, AllocationDetector detector,
        CalleeAllocationSummaries summaries)
    {
        var owner = block.OwningSymbol;
        // A nested type's members are analyzed under the nested type's own start action.
        if (!SymbolEqualityComparer.Default.Equals(owner.ContainingType, type) || !scope.IsHotPath(owner))
        {
            return;
        }

        var hotPath = HotPathName(owner);
        block.RegisterOperationAction(
            operation =>
            {
                if (detector.Detect(operation.Operation) is { } finding && !IsInAttribute(operation.Operation))
                {
                    // Whether the stackalloc fix applies is worked out only for what is reported, not for callees.
                    if (operation.Operation is IArrayCreationOperation array && finding.Rule == DiagnosticRules.ArrayAllocation &&
                        finding.Properties is null && StackallocCandidate.IsCandidate(array))
                    {
                        finding.Properties = ImmutableDictionary<string, string?>.Empty.Add(AllocationFinding.StackallocProperty, "true");
                    }

                    operation.ReportDiagnostic(finding.ToDiagnostic(hotPath));
                }

                var callees = new List<IMethodSymbol>(2);
                InvokedMethods.AddTo(operation.Operation, callees);
                foreach (var callee in callees)
                {
                    if (summaries.IsFollowed(callee) && summaries.AllocationChain(callee, operation.Operation.SemanticModel) is { } chain)
                    {
                        operation.ReportDiagnostic(Diagnostic.Create(
                            DiagnosticRules.TransitiveAllocation, InvokedMethods.CallSite(operation.Operation), InvokedMethods.Describe(callee), chain, hotPath));
                        break;
                    }
                }
            },
            OperationKinds);

        if (owner is IMethodSymbol method && (method.IsAsync || method.ReturnType.SpecialType != SpecialType.System_Void))
        {
            block.RegisterOperationBlockEndAction(end =>
            {
                foreach (var body in end.OperationBlocks)
                {
                    if (detector.StateMachine(method, body, method.Locations[0]) is { } finding)
                    {
                        end.ReportDiagnostic(finding.ToDiagnostic(hotPath));
                        return;
                    }
                }
            });
        }
    }

    // Attributes on a hot member are operation blocks of that member too, but they run at reflection time, not on the path.
    private static bool IsInAttribute(IOperation operation)
    {
        for (var current = operation; current is not null; current = current.Parent)
        {
            if (current.Kind == OperationKind.Attribute)
            {
                return true;
            }
        }

        return false;
    }

    private static string HotPathName(ISymbol owner)
    {
        var member = owner is IMethodSymbol { AssociatedSymbol: { } associated } ? associated : owner;
        var name = member is IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } ? member.ContainingType.Name : member.Name;
        return member.ContainingType is null ? name : member.ContainingType.Name + "." + name;
    }
}
