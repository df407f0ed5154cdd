using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Generators.R2P2;

namespace TailGuard.Analyzers.Contracts;

/// <summary>
/// Reports the TG1xxx rules on <c>[R2P2Service]</c> interfaces, live as the contract is written, through the same
/// parser the R2P2 generator uses (which generates nothing for a contract with an error and reports nothing itself).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class R2P2ContractAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => R2P2Diagnostics.All;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            if (start.Compilation.GetTypeByMetadataName(ServiceParser.AttributeMetadataName) is not { } attributeClass)
            {
                return;
            }

            var diagnostics = new ContractDiagnostics(start.Compilation);
            start.RegisterSymbolAction(
                symbolContext =>
                {
                    var type = (INamedTypeSymbol)symbolContext.Symbol;
                    if (ContractDiagnostics.FindContract(type, attributeClass, symbolContext.CancellationToken) is { } contract)
                    {
                        diagnostics.Report(symbolContext, ServiceParser.Diagnostics(type, contract.Declaration, contract.Attribute, symbolContext.CancellationToken));
                    }
                },
                SymbolKind.NamedType);
        });
    }
}
