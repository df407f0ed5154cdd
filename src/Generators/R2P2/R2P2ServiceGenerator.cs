using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Generates <c>{Name}Client</c> and <c>{Name}Dispatcher</c> for every interface marked <c>[R2P2Service]</c>.
/// Pipeline: attribute -> <see cref="ServiceParser"/> (the only step that sees symbols) -> value-equal model ->
/// <see cref="ServiceEmitter"/>. Diagnostics travel beside the model and are reported, never dropped.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class R2P2ServiceGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ServiceParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                "TailGuard.R2P2ServiceAttribute",
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => ServiceParser.Parse(attributeContext, cancellationToken))
            .WithTrackingName(R2P2TrackingNames.Parse);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(R2P2TrackingNames.Diagnostics);
        DiagnosticInfo.ReportAll(context, diagnostics);

        IncrementalValuesProvider<ServiceModel> models = parsed
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(R2P2TrackingNames.Model);
        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, ServiceEmitter.Emit(model)));
    }
}

/// <summary>Names of the tracked pipeline steps, which the caching tests assert on.</summary>
internal static class R2P2TrackingNames
{
    public const string Parse = "R2P2.Parse";
    public const string Diagnostics = "R2P2.Diagnostics";
    public const string Model = "R2P2.Model";
}
