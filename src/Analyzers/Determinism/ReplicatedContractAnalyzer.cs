using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Rules;
using TailGuard.Generators.R2P2;

namespace TailGuard.Analyzers.Determinism;

/// <summary>
/// TG5008, TG5009 and TG5010: replicated service contracts that do not do what they say (docs/replication.md,
/// "Declaring a replicated service"). A replicated service's calls always travel with policy 2 or 3, so a routing policy
/// declared on it or its methods is overridden (TG5008); <c>[ReadOnly]</c> only changes how a replicated service's calls
/// travel, so on a service that is not replicated it has no effect (TG5009); a replicated service in a compilation
/// without TailGuard.Replication generates nothing (TG5010, the generator's check is the same
/// <c>ServiceParser.ReplicationReferenced</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReplicatedContractAnalyzer : DiagnosticAnalyzer
{
    // RoutingPolicy.Unspecified: a method that inherits the service's policy declares nothing.
    private const long UnspecifiedPolicy = 0xFF;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticRules.ReplicatedPolicyOverridden,
        DiagnosticRules.ReadOnlyWithoutReplication,
        DiagnosticRules.ReplicationNotReferenced);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var service = start.Compilation.GetTypeByMetadataName("TailGuard.R2P2ServiceAttribute");
            var method = start.Compilation.GetTypeByMetadataName("TailGuard.R2P2MethodAttribute");
            var readOnly = start.Compilation.GetTypeByMetadataName("TailGuard.ReadOnlyAttribute");
            if (service is null)
            {
                return;
            }

            bool replicationReferenced = ServiceParser.ReplicationReferenced(start.Compilation);
            start.RegisterSymbolAction(symbolContext => Analyze(symbolContext, service, method, readOnly, replicationReferenced), SymbolKind.NamedType);
        });
    }

    private static void Analyze(SymbolAnalysisContext context, INamedTypeSymbol service, INamedTypeSymbol? method, INamedTypeSymbol? readOnly, bool replicationReferenced)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (type.TypeKind != TypeKind.Interface || Find(type.GetAttributes(), service) is not { } attribute)
        {
            return;
        }

        var replicated = Named(attribute, "Replicated") is true;
        if (replicated && !replicationReferenced)
        {
            Report(context, DiagnosticRules.ReplicationNotReferenced, attribute, type, type.Name);
        }

        if (replicated && Named(attribute, "Policy") is not null)
        {
            Report(context, DiagnosticRules.ReplicatedPolicyOverridden, attribute, type, type.Name);
        }

        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol candidate)
            {
                continue;
            }

            if (replicated && method is not null && Find(candidate.GetAttributes(), method) is { } methodAttribute
                && Named(methodAttribute, "Policy") is { } policy && System.Convert.ToInt64(policy, System.Globalization.CultureInfo.InvariantCulture) != UnspecifiedPolicy)
            {
                Report(context, DiagnosticRules.ReplicatedPolicyOverridden, methodAttribute, candidate, type.Name + "." + candidate.Name);
            }

            if (!replicated && readOnly is not null && Find(candidate.GetAttributes(), readOnly) is { } readOnlyAttribute)
            {
                Report(context, DiagnosticRules.ReadOnlyWithoutReplication, readOnlyAttribute, candidate, type.Name + "." + candidate.Name);
            }
        }
    }

    private static AttributeData? Find(ImmutableArray<AttributeData> attributes, INamedTypeSymbol attributeClass)
    {
        foreach (var attribute in attributes)
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeClass))
            {
                return attribute;
            }
        }

        return null;
    }

    private static object? Named(AttributeData attribute, string name)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value;
            }
        }

        return null;
    }

    private static void Report(SymbolAnalysisContext context, DiagnosticDescriptor rule, AttributeData attribute, ISymbol fallback, string subject)
    {
        var location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? fallback.Locations[0];
        context.ReportDiagnostic(Diagnostic.Create(rule, location, subject));
    }
}
