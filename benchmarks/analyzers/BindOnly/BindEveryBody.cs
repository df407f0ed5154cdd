using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TailGuard.Benchmarks.Analyzers;

/// <summary>
/// Binds every method body of the compilation to its operation tree and does nothing with it: what any analyzer that
/// looks into those bodies pays at the least. measure-analyzers.sh with COMPARE_WITH=this assembly runs it beside the
/// generators ("compare"): "compare" against "stubs" is that binding, "both" against "compare" what TailGuard's
/// analyzers do beyond it. Measured on 2026-12-02 (docs/performance.md, "Eighteenth integration"): nothing measurable,
/// since analyzers share the bound trees and the SDK's own analyzers bind every body already.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BindEveryBody : DiagnosticAnalyzer
{
    // Warning, not Hidden: a command-line build skips an analyzer whose every rule is hidden, and this one must run.
    private static readonly DiagnosticDescriptor Never = new("BIND0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCodeBlockAction(block =>
        {
            // The operation tree is what an operation-based rule walks; binding it is the cost measured.
            _ = block.SemanticModel.GetOperation(block.CodeBlock, block.CancellationToken);
        });
    }
}
