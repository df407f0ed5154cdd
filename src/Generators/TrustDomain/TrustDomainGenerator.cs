using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.TrustDomain.Model;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// Generates <c>{Name}Boundary</c>, <c>{Name}Proxy</c> and <c>{Name}Entry</c> for every interface marked
/// <c>[TrustDomain]</c> (the host calls the domain) or <c>[HostCalls]</c> (the domain calls the host).
/// Pipeline: attribute -> <see cref="BoundaryParser"/> (the only step that sees symbols) -> value-equal model ->
/// <see cref="BoundaryEmitter"/>. A contract with an error has no model and generates nothing; the error itself is
/// reported by the contract analyzer (TailGuard.Analyzers, TrustBoundaryContractAnalyzer), which shares the parser.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrustDomainGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<BoundaryModel?> trustDomains = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                BoundaryParser.TrustDomainAttributeMetadataName,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => Parse(attributeContext, isHostCalls: false, cancellationToken))
            .WithTrackingName(TrustDomainTrackingNames.ParseTrustDomain);
        IncrementalValuesProvider<BoundaryModel?> hostCalls = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                BoundaryParser.HostCallsAttributeMetadataName,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => Parse(attributeContext, isHostCalls: true, cancellationToken))
            .WithTrackingName(TrustDomainTrackingNames.ParseHostCalls);

        Register(context, trustDomains, TrustDomainTrackingNames.TrustDomainModel);
        Register(context, hostCalls, TrustDomainTrackingNames.HostCallsModel);
    }

    private static BoundaryModel? Parse(GeneratorAttributeSyntaxContext context, bool isHostCalls, System.Threading.CancellationToken cancellationToken)
        => BoundaryParser.Parse((INamedTypeSymbol)context.TargetSymbol, (InterfaceDeclarationSyntax)context.TargetNode, isHostCalls, cancellationToken).Model;

    private static void Register(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<BoundaryModel?> parsed, string modelStep)
    {
        IncrementalValuesProvider<BoundaryModel> models = parsed
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(modelStep);
        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, BoundaryEmitter.Emit(model)));
    }
}

/// <summary>Names of the tracked pipeline steps, which the caching tests assert on.</summary>
internal static class TrustDomainTrackingNames
{
    public const string ParseTrustDomain = "TrustDomain.Parse";
    public const string ParseHostCalls = "HostCalls.Parse";
    public const string TrustDomainModel = "TrustDomain.Model";
    public const string HostCallsModel = "HostCalls.Model";
}
