using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.TrustDomain.Model;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// Generates <c>{Name}Boundary</c>, <c>{Name}Proxy</c> and <c>{Name}Entry</c> for every interface marked
/// <c>[TrustDomain]</c> (the host calls the domain) or <c>[HostCalls]</c> (the domain calls the host).
/// Pipeline: attribute -> <see cref="BoundaryParser"/> (the only step that sees symbols) -> value-equal model ->
/// <see cref="BoundaryEmitter"/>. Diagnostics travel beside the model and are reported, never dropped.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class TrustDomainGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<BoundaryParseResult> trustDomains = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "TailGuard.TrustDomainAttribute",
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => BoundaryParser.Parse(attributeContext, isHostCalls: false, cancellationToken))
            .WithTrackingName(TrustDomainTrackingNames.ParseTrustDomain);
        IncrementalValuesProvider<BoundaryParseResult> hostCalls = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "TailGuard.HostCallsAttribute",
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => BoundaryParser.Parse(attributeContext, isHostCalls: true, cancellationToken))
            .WithTrackingName(TrustDomainTrackingNames.ParseHostCalls);

        Register(context, trustDomains, TrustDomainTrackingNames.TrustDomainModel);
        Register(context, hostCalls, TrustDomainTrackingNames.HostCallsModel);
    }

    private static void Register(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<BoundaryParseResult> parsed, string modelStep)
    {
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed.Select(static (result, _) => result.Diagnostics);
        DiagnosticInfo.ReportAll(context, diagnostics);

        IncrementalValuesProvider<BoundaryModel> models = parsed
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
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
