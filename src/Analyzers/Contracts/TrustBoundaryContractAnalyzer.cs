using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Analyzers.Contracts;

/// <summary>
/// Reports the TG2xxx rules on <c>[TrustDomain]</c> and <c>[HostCalls]</c> interfaces, live as the contract is written,
/// through the same parser the trust-domain generator uses (which generates nothing for a contract with an error and
/// reports nothing itself).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrustBoundaryContractAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => TrustDomainDiagnostics.All;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            INamedTypeSymbol? trustDomain = start.Compilation.GetTypeByMetadataName(BoundaryParser.TrustDomainAttributeMetadataName);
            INamedTypeSymbol? hostCalls = start.Compilation.GetTypeByMetadataName(BoundaryParser.HostCallsAttributeMetadataName);
            if (trustDomain is null && hostCalls is null)
            {
                return;
            }

            var diagnostics = new ContractDiagnostics(start.Compilation);
            start.RegisterSymbolAction(
                symbolContext =>
                {
                    var type = (INamedTypeSymbol)symbolContext.Symbol;
                    Analyze(symbolContext, diagnostics, type, trustDomain, isHostCalls: false);
                    Analyze(symbolContext, diagnostics, type, hostCalls, isHostCalls: true);
                },
                SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, ContractDiagnostics diagnostics, INamedTypeSymbol type, INamedTypeSymbol? attributeClass, bool isHostCalls)
    {
        if (attributeClass is not null && ContractDiagnostics.FindContract(type, attributeClass, context.CancellationToken) is { } contract)
        {
            diagnostics.Report(context, BoundaryParser.Diagnostics(type, contract.Declaration, isHostCalls, context.CancellationToken));
        }
    }
}
