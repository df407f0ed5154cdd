using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Turns one [R2P2Service] interface into a <see cref="ServiceModel"/> of plain values, or into TG1xxx diagnostics at
/// the offending syntax. It is the only place that sees symbols and syntax.
/// </summary>
internal static class ServiceParser
{
    public const string AttributeMetadataName = "TailGuard.R2P2ServiceAttribute";

    /// <summary>
    /// The interface a replicated service's dispatcher implements; its assembly (TailGuard.Replication) also holds the
    /// ReplicatedClient the generated client wraps. Without it a replicated contract generates nothing (TG5010).
    /// </summary>
    public const string ReplicatedServiceMetadataName = "TailGuard.Replication.IReplicatedService";

    private const string MethodAttributeName = "R2P2MethodAttribute";
    private const string MaxLengthAttributeName = "R2P2MaxLengthAttribute";
    private const string ReadOnlyAttributeName = "ReadOnlyAttribute";
    private const byte UnspecifiedPolicy = 0xFF;
    private const byte ReplicatedPolicy = 2;
    private const byte ReplicatedReadOnlyPolicy = 3;

    /// <summary>
    /// Parses <paramref name="service"/>, declared by <paramref name="declaration"/> (the declaration that carries
    /// <paramref name="serviceAttribute"/>); the generator and the contract analyzer both call this.
    /// </summary>
    public static ServiceParseResult Parse(INamedTypeSymbol service, InterfaceDeclarationSyntax declaration, AttributeData serviceAttribute, CancellationToken cancellationToken)
        => Parse(service, declaration, serviceAttribute, diagnosticsOnly: false, cancellationToken);

    /// <summary>
    /// The diagnostics <see cref="Parse(INamedTypeSymbol, InterfaceDeclarationSyntax, AttributeData, CancellationToken)"/>
    /// would report, without building the generator's model (the contract analyzer's call: it only reports).
    /// </summary>
    public static EquatableArray<DiagnosticInfo> Diagnostics(INamedTypeSymbol service, InterfaceDeclarationSyntax declaration, AttributeData serviceAttribute, CancellationToken cancellationToken)
        => Parse(service, declaration, serviceAttribute, diagnosticsOnly: true, cancellationToken).Diagnostics;

    /// <summary>
    /// Whether <paramref name="compilation"/> can compile a replicated service's generated code: it references
    /// TailGuard.Replication. The generator emits a replicated contract only then; the contract analyzer reports TG5010
    /// otherwise.
    /// </summary>
    public static bool ReplicationReferenced(Compilation compilation)
        => compilation.GetTypeByMetadataName(ReplicatedServiceMetadataName) is not null;

    private static ServiceParseResult Parse(INamedTypeSymbol service, InterfaceDeclarationSyntax declaration, AttributeData serviceAttribute, bool diagnosticsOnly, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();

        byte servicePolicy = 0;
        if (NamedArgument(serviceAttribute, "Policy") is int declaredPolicy)
        {
            if (declaredPolicy is >= 0 and <= 3)
            {
                servicePolicy = (byte)declaredPolicy;
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    R2P2Diagnostics.InvalidRoutingPolicy,
                    LocationInfo.Of(serviceAttribute, cancellationToken) ?? LocationInfo.From(declaration.Identifier),
                    "Service '" + service.Name + "'",
                    PolicyText(declaredPolicy),
                    "; a service has no policy to inherit, so Unspecified is not allowed here"));
            }
        }

        // A replicated service's calls are ordered (policy 2) or read-only (3), whatever policy it declares; the
        // contract analyzer's TG5008 reports a declared policy the replicated calls override.
        bool replicated = NamedBoolean(serviceAttribute, "Replicated");

        if (service.TypeParameters.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.GenericInterface, LocationInfo.From((SyntaxNode?)declaration.TypeParameterList) ?? LocationInfo.From(declaration.Identifier), service.Name));
        }

        if (service.Interfaces.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                R2P2Diagnostics.InheritedInterface,
                LocationInfo.From((SyntaxNode?)declaration.BaseList) ?? LocationInfo.From(declaration.Identifier),
                service.Name,
                service.Interfaces[0].ToDisplayString()));
        }

        if (ContainingTypeInfo.FileLocalScope(service) is { } fileLocal)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.FileLocalService, LocationInfo.From(declaration.Identifier), service.Name, fileLocal));
        }

        var containingTypes = ContainingTypeInfo.Of(service);
        ContainingTypeInfo.ReportNotPartial(containingTypes, R2P2Diagnostics.ContainingTypeNotPartial, service.Name, diagnostics);

        string[] generatedTypes = GeneratedTypes(service);
        if (GeneratedTypeNames.FindConflict(service, generatedTypes, static sibling => IsService(sibling) ? GeneratedTypes(sibling) : Array.Empty<string>()) is { } conflict)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.GeneratedNameTaken, LocationInfo.From(declaration.Identifier), service.Name, conflict.Name, conflict.Reason));
        }

        var methods = new List<(MethodModel Model, LocationInfo? IdLocation, LocationInfo? NameLocation)>();
        foreach (ISymbol member in service.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (ContractMember.Classify(member))
            {
                case ContractMemberKind.Call:
                    if (ParseMethod((IMethodSymbol)member, servicePolicy, replicated, diagnosticsOnly, diagnostics, cancellationToken) is { } parsed)
                    {
                        methods.Add(parsed);
                    }

                    break;
                case ContractMemberKind.Unsupported:
                    (string name, string kind) = ContractMember.Describe(member);
                    diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.UnsupportedMember, LocationInfo.Of(member), name, kind));
                    break;
            }
        }

        // Ordinal order by name: stable output whatever order partial declarations are merged in.
        methods = methods.OrderBy(m => m.Model.Name, StringComparer.Ordinal).ToList();
        CheckCollisions(methods, diagnostics);

        if (diagnostics.Count > 0 || diagnosticsOnly)
        {
            return new ServiceParseResult(null, EquatableArray.From(diagnostics));
        }

        var model = new ServiceModel(
            HintNames.For(CSharpNames.MetadataName(service), "R2P2"),
            service.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : string.Empty,
            EquatableArray.From(containingTypes.Select(t => t.Info)),
            CSharpNames.FullyQualified(service),
            service.ToDisplayString(),
            Cref.For(service),
            Cref.ContainerOf(service),
            CSharpNames.Accessibility(service.DeclaredAccessibility),
            generatedTypes[0],
            generatedTypes[1],
            generatedTypes[2],
            ObsoleteAttributeText.Of(service),
            EquatableArray.From(ObsoleteAttributeText.DiagnosticIds(ContractMember.SignatureTypes(service))),
            EquatableArray.From(ContainingTypeInfo.TypeParameterNames(service)),
            EquatableArray.From(methods.Select(m => m.Model)),
            NamedBoolean(serviceAttribute, "TraceContext"),
            replicated);
        return new ServiceParseResult(model, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>Whether <paramref name="type"/> is an interface marked [R2P2Service].</summary>
    public static bool IsService(INamedTypeSymbol type)
        // The simple name first: the full name is rendered only for a likely match (every contract asks of every sibling).
        => type.TypeKind == TypeKind.Interface
            && type.GetAttributes().Any(a => a.AttributeClass is { Name: "R2P2ServiceAttribute" } attribute && attribute.ToDisplayString() == AttributeMetadataName);

    // {Name}Client, I{Name}Client, {Name}Dispatcher: the documented names (docs/r2p2-services.md).
    private static string[] GeneratedTypes(INamedTypeSymbol service)
    {
        string baseName = CSharpNames.WithoutInterfacePrefix(service.Name);
        return new[] { baseName + "Client", "I" + baseName + "Client", baseName + "Dispatcher" };
    }

    // diagnosticsOnly: the model is only checked for collisions, never emitted, so its cref and [Obsolete] text are not rendered.
    private static (MethodModel, LocationInfo?, LocationInfo?)? ParseMethod(IMethodSymbol method, byte servicePolicy, bool replicated, bool diagnosticsOnly, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        int before = diagnostics.Count;
        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
        LocationInfo? nameLocation = syntax is null ? LocationInfo.Of(method) : LocationInfo.From(syntax.Identifier);
        LocationInfo? returnLocation = LocationInfo.From((SyntaxNode?)syntax?.ReturnType) ?? nameLocation;

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.GenericMethod, LocationInfo.From((SyntaxNode?)syntax?.TypeParameterList) ?? nameLocation, method.Name));
        }

        ValueModel? result = null;
        bool isAsync = ValueClassifier.IsValueTask(method.ReturnType, out ITypeSymbol? awaited);
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.ByRefNotAllowed, returnLocation, "The result", method.Name, method.ReturnsByRef ? "ref" : "ref readonly"));
        }
        else
        {
            // ValueTask<T>: T crosses; ValueTask: nothing does, as for void.
            string reason = string.Empty;
            result = isAsync && awaited is null
                ? ValueClassifier.Void
                : ValueClassifier.Classify(awaited ?? method.ReturnType, ValueClassifier.Position.Return, out reason);
            if (result is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.UnsupportedReturnType, returnLocation, method.Name, method.ReturnType.ToDisplayString(), reason));
            }
            else
            {
                result = ApplyMaxLength(result, method.GetReturnTypeAttributes(), "the result of '" + method.Name + "'", returnLocation, diagnostics, cancellationToken);
            }
        }

        var parameters = new List<ParameterModel>();
        int destinations = 0;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            var parameterSyntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as ParameterSyntax;
            LocationInfo? parameterLocation = LocationInfo.From((SyntaxNode?)parameterSyntax) ?? nameLocation;
            if (parameter.RefKind != RefKind.None)
            {
                diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.ByRefNotAllowed, parameterLocation, "Parameter '" + parameter.Name + "'", method.Name, CSharpNames.RefKindKeyword(parameter.RefKind)));
                continue;
            }

            LocationInfo? typeLocation = LocationInfo.From((SyntaxNode?)parameterSyntax?.Type) ?? parameterLocation;
            ValueModel? value = ValueClassifier.Classify(parameter.Type, ValueClassifier.Position.Parameter, out string reason);
            if (value is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.UnsupportedParameterType, typeLocation, parameter.Name, method.Name, parameter.Type.ToDisplayString(), reason));
                continue;
            }

            if (value.Kind == ValueKind.Destination && ++destinations > 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.DestinationMisuse, typeLocation, method.Name, "has more than one Span<byte> destination"));
            }

            value = ApplyMaxLength(value, parameter.GetAttributes(), "parameter '" + parameter.Name + "'", parameterLocation, diagnostics, cancellationToken);
            parameters.Add(new ParameterModel(parameter.Name, value));
        }

        if (destinations > 0 && result is not null && (result.Kind != ValueKind.Int32 || result.IsNullable || isAsync))
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.DestinationMisuse, returnLocation, method.Name, "returns '" + method.ReturnType.ToDisplayString() + "'"));
        }

        AttributeData? methodAttribute = KnownTypes.FindTailGuardAttribute(method.GetAttributes(), MethodAttributeName);
        ushort id = MethodIdHash.FromName(method.Name);
        bool explicitId = false;
        byte policy = servicePolicy;
        LocationInfo? idLocation = nameLocation;
        if (methodAttribute is not null)
        {
            idLocation = LocationInfo.Of(methodAttribute, cancellationToken) ?? nameLocation;
            if (methodAttribute.ConstructorArguments.Length == 1 && methodAttribute.ConstructorArguments[0].Value is ushort declaredId)
            {
                id = declaredId;
                explicitId = true;
            }

            if (NamedArgument(methodAttribute, "Policy") is int declaredPolicy && declaredPolicy != UnspecifiedPolicy)
            {
                if (declaredPolicy is >= 0 and <= 3)
                {
                    policy = (byte)declaredPolicy;
                }
                else
                {
                    diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.InvalidRoutingPolicy, idLocation, "Method '" + method.Name + "'", PolicyText(declaredPolicy), " (or Unspecified to inherit the service's)"));
                }
            }
        }

        if (diagnostics.Count > before || result is null)
        {
            return null;
        }

        bool isReadOnly = KnownTypes.FindTailGuardAttribute(method.GetAttributes(), ReadOnlyAttributeName) is not null;
        if (replicated)
        {
            policy = isReadOnly ? ReplicatedReadOnlyPolicy : ReplicatedPolicy;
        }

        string stem = method.Name.EndsWith("Async", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - "Async".Length) : method.Name;
        var model = new MethodModel(
            method.Name,
            stem + "Async",
            destinations > 0 ? stem + "LeaseAsync" : string.Empty,
            id,
            explicitId,
            policy,
            result,
            EquatableArray.From(parameters),
            diagnosticsOnly ? string.Empty : Cref.For(method),
            diagnosticsOnly ? string.Empty : ObsoleteAttributeText.Of(method),
            isAsync,
            isReadOnly);
        return (model, idLocation, nameLocation);
    }

    private static ValueModel ApplyMaxLength(ValueModel value, IEnumerable<AttributeData> attributes, string subject, LocationInfo? fallback, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        AttributeData? bound = KnownTypes.FindTailGuardAttribute(attributes, MaxLengthAttributeName);
        if (bound is null || bound.ConstructorArguments.Length != 1 || bound.ConstructorArguments[0].Value is not int maxBytes)
        {
            return value;
        }

        LocationInfo? location = LocationInfo.Of(bound, cancellationToken) ?? fallback;
        string text = maxBytes.ToString(CultureInfo.InvariantCulture);
        if (value.Kind is not (ValueKind.String or ValueKind.Bytes or ValueKind.Destination))
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.InvalidMaxLength, location, text, subject, "does not apply: bounds apply only to string, ReadOnlySpan<byte> and Span<byte> values"));
            return value;
        }

        if (maxBytes < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.InvalidMaxLength, location, text, subject, "is negative: a bound is at least 0"));
            return value;
        }

        if (maxBytes > ValueClassifier.MaxBoundBytes)
        {
            diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.MaxLengthAboveCeiling, location, text, subject, ValueClassifier.MaxBoundBytes.ToString(CultureInfo.InvariantCulture)));
            return value;
        }

        return value with { MaxBytes = maxBytes };
    }

    private static void CheckCollisions(List<(MethodModel Model, LocationInfo? IdLocation, LocationInfo? NameLocation)> methods, List<DiagnosticInfo> diagnostics)
    {
        var ids = new Dictionary<ushort, string>();
        var clientNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((MethodModel model, LocationInfo? idLocation, LocationInfo? nameLocation) in methods)
        {
            if (ids.TryGetValue(model.Id, out string? owner))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    R2P2Diagnostics.MethodIdCollision,
                    idLocation,
                    model.Name,
                    model.Id.ToString(CultureInfo.InvariantCulture),
                    model.IdIsExplicit ? "explicit" : "hashed from its name",
                    owner));
            }
            else
            {
                ids.Add(model.Id, model.Name);
            }

            foreach (string name in new[] { model.Name, model.ClientName, model.LeaseClientName })
            {
                if (name.Length == 0)
                {
                    continue;
                }

                if (clientNames.TryGetValue(name, out string? other))
                {
                    diagnostics.Add(DiagnosticInfo.Create(R2P2Diagnostics.ClientNameCollision, nameLocation, model.Name, other, name));
                    break;
                }
            }

            foreach (string name in new[] { model.Name, model.ClientName, model.LeaseClientName })
            {
                if (name.Length > 0 && !clientNames.ContainsKey(name))
                {
                    clientNames.Add(name, model.Name);
                }
            }
        }
    }

    private static int? NamedArgument(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && argument.Value.Value is { } value)
            {
                return Convert.ToInt32(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static bool NamedBoolean(AttributeData attribute, string name)
        => attribute.NamedArguments.Any(argument => argument.Key == name && argument.Value.Value is true);

    private static string PolicyText(int policy) => policy switch
    {
        0xFF => "Unspecified",
        _ => policy.ToString(CultureInfo.InvariantCulture),
    };
}
