using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// Reports [Secret] data reaching what leaves a trust domain (TG4001), the network (TG4002), logs (TG4003), exceptions
/// (TG4004), strings (TG4005) and storage that is not [Secret] (TG4006), and secrets compared in variable time (TG4007).
/// Generated code is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SecretFlowAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticRules.SecretLeavesTrustDomain,
        DiagnosticRules.SecretToNetwork,
        DiagnosticRules.SecretToLog,
        DiagnosticRules.SecretInException,
        DiagnosticRules.SecretToString,
        DiagnosticRules.SecretToNonSecretStorage,
        DiagnosticRules.VariableTimeSecretComparison);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        // Not Analyze: generated code is not analyzed. ReportDiagnostics: every location reported is in the code analyzed,
        // so the driver need not look for [GeneratedCode] symbols in each tree a diagnostic lands in (a walk of the tree).
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (TailGuardSymbols.TryCreate(start.Compilation) is not { Secret: not null } symbols)
            {
                return;
            }

            var engine = new SecretFlowEngine(symbols, start.Compilation);
            // A code-block action, not an operation-block one: the engine binds a block only when its text may reach a
            // source, so the driver does not bind every body of the compilation for it.
            start.RegisterCodeBlockAction(block =>
                engine.Analyze(block.OwningSymbol, block.CodeBlock, block.SemanticModel, block.ReportDiagnostic, block.CancellationToken));
        });
    }
}
