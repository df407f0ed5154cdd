using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Determinism;

/// <summary>
/// TG5001-TG5007: obvious non-determinism in the apply paths of replicated services (docs/replication.md,
/// "Determinism"). Every replica runs an apply path for the same requests in the same order and must reach the same
/// state, so a clock read, an unseeded random draw, a new GUID, the environment, I/O, a per-process hash or work
/// started on another thread there is reported where it stands. The analysis looks at the apply methods' own bodies
/// (lambdas and local functions included); it does not follow calls into helpers.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DeterminismAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticRules.ApplyReadsClock,
        DiagnosticRules.ApplyUsesUnseededRandom,
        DiagnosticRules.ApplyCreatesGuid,
        DiagnosticRules.ApplyReadsEnvironment,
        DiagnosticRules.ApplyPerformsIo,
        DiagnosticRules.ApplyUsesRandomizedHash,
        DiagnosticRules.ApplyStartsConcurrentWork);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (ApplyPathScope.TryCreate(start.Compilation) is not { } scope)
            {
                return;
            }

            // Per-operation work only inside types that implement an apply interface: most types of a project have none,
            // and even a replicated service's project has few.
            start.RegisterSymbolStartAction(
                type =>
                {
                    var namedType = (INamedTypeSymbol)type.Symbol;
                    if (scope.MayContainApplyPaths(namedType))
                    {
                        type.RegisterOperationAction(operationContext => Analyze(operationContext, namedType, scope), OperationKinds);
                    }
                },
                SymbolKind.NamedType);
        });
    }

    private static readonly ImmutableArray<OperationKind> OperationKinds = ImmutableArray.Create(
        OperationKind.Invocation, OperationKind.PropertyReference, OperationKind.ObjectCreation, OperationKind.MethodReference);

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol type, ApplyPathScope scope)
    {
        // A nested type's members are analyzed under the nested type's own start action, not twice.
        if (context.ContainingSymbol is not IMethodSymbol method || !SymbolEqualityComparer.Default.Equals(method.ContainingType, type) ||
            !scope.IsApplyPath(method))
        {
            return;
        }

        var (member, arguments) = context.Operation switch
        {
            IInvocationOperation invocation => ((ISymbol?)invocation.TargetMethod, invocation.Arguments.Length),
            IPropertyReferenceOperation property => (property.Property, 0),
            IObjectCreationOperation creation => (creation.Constructor, creation.Arguments.Length),
            IMethodReferenceOperation reference => (reference.Method, -1),
            _ => (null, 0),
        };

        if (member is null || NonDeterminismCatalog.Classify(member, arguments) is not { } rule)
        {
            return;
        }

        var name = member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
            ? "new " + constructor.ContainingType.Name
            : member.ContainingType.Name + "." + member.Name;
        context.ReportDiagnostic(Diagnostic.Create(rule, context.Operation.Syntax.GetLocation(), name, method.Name));
    }
}
