using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Generates <c>{Name}Client</c>, <c>I{Name}Client</c> and <c>{Name}Dispatcher</c> for every interface marked
/// <c>[R2P2Service]</c>. Pipeline: attribute -> <see cref="ServiceParser"/> (the only step that sees symbols) ->
/// value-equal model -> <see cref="ServiceEmitter"/>. A contract with an error has no model and generates nothing; the
/// error itself is reported by the contract analyzer (TailGuard.Analyzers, R2P2ContractAnalyzer), which shares the
/// parser, so it can be suppressed like any analyzer diagnostic and is never reported twice. A replicated contract in a
/// compilation without TailGuard.Replication generates nothing either (TG5010, reported by ReplicatedContractAnalyzer).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class R2P2ServiceGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ServiceModel?> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ServiceParser.AttributeMetadataName,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (attributeContext, cancellationToken) => ServiceParser.Parse(
                    (INamedTypeSymbol)attributeContext.TargetSymbol,
                    (InterfaceDeclarationSyntax)attributeContext.TargetNode,
                    attributeContext.Attributes[0],
                    cancellationToken).Model)
            .WithTrackingName(R2P2TrackingNames.Parse);

        IncrementalValuesProvider<ServiceModel> models = parsed
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(R2P2TrackingNames.Model);

        // A replicated contract's code uses TailGuard.Replication: without that reference it would fail to compile with a
        // wall of CS0234/CS0246 in generated code, so it is not emitted and the contract analyzer's TG5010 says why. The
        // check is one bool per compilation, so an edit that leaves it unchanged regenerates nothing.
        IncrementalValueProvider<bool> replicationReferenced = context.CompilationProvider
            .Select(static (compilation, _) => ServiceParser.ReplicationReferenced(compilation))
            .WithTrackingName(R2P2TrackingNames.ReplicationReferenced);
        IncrementalValuesProvider<ServiceModel> emitted = models
            .Combine(replicationReferenced)
            .Where(static pair => !pair.Left.Replicated || pair.Right)
            .Select(static (pair, _) => pair.Left)
            .WithTrackingName(R2P2TrackingNames.Emitted);
        context.RegisterSourceOutput(emitted, static (output, model) => output.AddSource(model.HintName, ServiceEmitter.Emit(model)));
    }
}

/// <summary>Names of the tracked pipeline steps, which the caching tests assert on.</summary>
internal static class R2P2TrackingNames
{
    public const string Parse = "R2P2.Parse";
    public const string Model = "R2P2.Model";
    public const string ReplicationReferenced = "R2P2.ReplicationReferenced";
    public const string Emitted = "R2P2.Emitted";
}
