using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.TrustDomain.Model;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// Turns one [TrustDomain] or [HostCalls] interface into a <see cref="BoundaryModel"/> of plain values, or into TG2xxx
/// diagnostics at the offending syntax. It is the only place that sees symbols and syntax.
/// </summary>
internal static class BoundaryParser
{
    public const int DefaultStringBound = 256;
    public const int MaxBoundBytes = 1 << 20;

    public const string TrustDomainAttributeMetadataName = "TailGuard.TrustDomainAttribute";
    public const string HostCallsAttributeMetadataName = "TailGuard.HostCallsAttribute";

    /// <summary>
    /// Parses <paramref name="contract"/>, declared by <paramref name="declaration"/> (the declaration that carries its
    /// attribute); the generator and the contract analyzer both call this.
    /// </summary>
    public static BoundaryParseResult Parse(INamedTypeSymbol contract, InterfaceDeclarationSyntax declaration, bool isHostCalls, CancellationToken cancellationToken)
        => Parse(contract, declaration, isHostCalls, diagnosticsOnly: false, cancellationToken);

    /// <summary>
    /// The diagnostics <see cref="Parse(INamedTypeSymbol, InterfaceDeclarationSyntax, bool, CancellationToken)"/> would
    /// report, without building the generator's model (the contract analyzer's call: it only reports).
    /// </summary>
    public static EquatableArray<DiagnosticInfo> Diagnostics(INamedTypeSymbol contract, InterfaceDeclarationSyntax declaration, bool isHostCalls, CancellationToken cancellationToken)
        => Parse(contract, declaration, isHostCalls, diagnosticsOnly: true, cancellationToken).Diagnostics;

    private static BoundaryParseResult Parse(INamedTypeSymbol contract, InterfaceDeclarationSyntax declaration, bool isHostCalls, bool diagnosticsOnly, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        string kindText = isHostCalls ? "[HostCalls] interface" : "[TrustDomain] interface";

        if (contract.TypeParameters.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.Generic, LocationInfo.From((SyntaxNode?)declaration.TypeParameterList) ?? LocationInfo.From(declaration.Identifier), contract.Name, kindText));
        }

        if (contract.Interfaces.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                TrustDomainDiagnostics.InheritedInterface,
                LocationInfo.From((SyntaxNode?)declaration.BaseList) ?? LocationInfo.From(declaration.Identifier),
                contract.Name,
                contract.Interfaces[0].ToDisplayString()));
        }

        if (ContainingTypeInfo.FileLocalScope(contract) is { } fileLocal)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.FileLocalContract, LocationInfo.From(declaration.Identifier), contract.Name, fileLocal));
        }

        var containingTypes = ContainingTypeInfo.Of(contract);
        ContainingTypeInfo.ReportNotPartial(containingTypes, TrustDomainDiagnostics.ContainingTypeNotPartial, contract.Name, diagnostics);

        if (GeneratedTypeNames.FindConflict(contract, GeneratedTypes(contract), static sibling => IsContract(sibling) ? GeneratedTypes(sibling) : Array.Empty<string>()) is { } conflict)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.GeneratedNameTaken, LocationInfo.From(declaration.Identifier), contract.Name, conflict.Name, conflict.Reason));
        }

        var methods = new List<(string Name, string Signature, string ReturnType, bool ReturnsFlag, List<BoundaryParameter> Parameters, string Obsolete)>();
        foreach (ISymbol member in contract.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (ContractMember.Classify(member))
            {
                case ContractMemberKind.Call:
                    if (ParseMethod((IMethodSymbol)member, diagnosticsOnly, diagnostics, cancellationToken) is { } parsed)
                    {
                        methods.Add(parsed);
                    }

                    break;
                case ContractMemberKind.Unsupported:
                    (string name, string kind) = ContractMember.Describe(member);
                    diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.UnsupportedMember, LocationInfo.Of(member), name, kind));
                    break;
            }
        }

        if (diagnosticsOnly || diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
        {
            return new BoundaryParseResult(null, EquatableArray.From(diagnostics));
        }

        // Ordinal order of name then signature: stable ids whatever order partial declarations are merged in.
        methods = methods.OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.Signature, StringComparer.Ordinal).ToList();
        var modelMethods = new List<BoundaryMethod>(methods.Count);
        for (int index = 0; index < methods.Count; index++)
        {
            var m = methods[index];
            modelMethods.Add(new BoundaryMethod((uint)(index + 1), m.Name, m.ReturnType, m.ReturnsFlag, EquatableArray.From(m.Parameters), m.Signature, m.Obsolete));
        }

        var model = new BoundaryModel(
            HintNames.For(CSharpNames.MetadataName(contract), isHostCalls ? "HostCalls" : "TrustDomain"),
            contract.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : string.Empty,
            EquatableArray.From(containingTypes.Select(t => t.Info)),
            CSharpNames.FullyQualified(contract),
            contract.ToDisplayString(),
            Cref.For(contract),
            CSharpNames.Qualifier(contract),
            CSharpNames.Accessibility(contract.DeclaredAccessibility),
            CSharpNames.WithoutInterfacePrefix(contract.Name),
            isHostCalls,
            ObsoleteAttributeText.Of(contract),
            EquatableArray.From(ObsoleteAttributeText.DiagnosticIds(ContractMember.SignatureTypes(contract))),
            EquatableArray.From(ContainingTypeInfo.TypeParameterNames(contract)),
            EquatableArray.From(modelMethods));
        return new BoundaryParseResult(model, EquatableArray.From(diagnostics));
    }

    /// <summary>Whether <paramref name="type"/> is an interface marked [TrustDomain] or [HostCalls].</summary>
    public static bool IsContract(INamedTypeSymbol type)
        => type.TypeKind == TypeKind.Interface
            // The simple name first: the full name is rendered only for a likely match (every contract asks of every sibling).
            && type.GetAttributes().Any(a => a.AttributeClass is { Name: "TrustDomainAttribute" or "HostCallsAttribute" } attribute
                && attribute.ToDisplayString() is TrustDomainAttributeMetadataName or HostCallsAttributeMetadataName);

    // {Name}Boundary, {Name}Proxy, {Name}Entry: the documented names (docs/trust-boundary.md).
    private static string[] GeneratedTypes(INamedTypeSymbol contract)
    {
        string baseName = CSharpNames.WithoutInterfacePrefix(contract.Name);
        return new[] { baseName + "Boundary", baseName + "Proxy", baseName + "Entry" };
    }

    // diagnosticsOnly: nothing of the method is emitted, so its signature, [Obsolete] text and parameter models are not rendered.
    private static (string, string, string, bool, List<BoundaryParameter>, string)? ParseMethod(IMethodSymbol method, bool diagnosticsOnly, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        int errorsBefore = diagnostics.Count(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
        var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
        LocationInfo? nameLocation = syntax is null ? LocationInfo.Of(method) : LocationInfo.From(syntax.Identifier);
        LocationInfo? returnLocation = LocationInfo.From((SyntaxNode?)syntax?.ReturnType) ?? nameLocation;

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.Generic, LocationInfo.From((SyntaxNode?)syntax?.TypeParameterList) ?? nameLocation, method.Name, "method"));
        }

        string returnType = string.Empty;
        bool returnsFlag = false;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.ByReference, returnLocation, "The result", method.Name, method.ReturnsByRef ? "ref" : "ref readonly"));
        }
        else if (!method.ReturnsVoid)
        {
            ITypeSymbol type = method.ReturnType;
            if (type.SpecialType == SpecialType.System_String)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.StringNotIn, returnLocation, "The result", method.Name));
            }
            else if (ScalarProblem(type) is { } problem)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.TypeCannotCross, returnLocation, "The result", method.Name, type.ToDisplayString(), problem));
            }
            else if (StructLayoutRules.Check(type, returnLocation, "The result", method.Name) is { } layoutProblem)
            {
                diagnostics.Add(layoutProblem);
            }
            else
            {
                returnType = CSharpNames.FullyQualified(type);
                returnsFlag = type.SpecialType == SpecialType.System_Boolean;
            }
        }

        var parameters = new List<BoundaryParameter>();
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ParseParameter(method, parameter, diagnosticsOnly, diagnostics, cancellationToken) is { } parsed)
            {
                parameters.Add(parsed);
            }
        }

        if (diagnosticsOnly || diagnostics.Count(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error) > errorsBefore)
        {
            return null;
        }

        string signature = method.Name + "(" + string.Join(", ", parameters.Select(p => p.Kind + " " + p.DeclaredType + (p.Bound > 0 ? "[" + p.Bound.ToString(CultureInfo.InvariantCulture) + "]" : string.Empty))) + ") -> "
            + (method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString());
        return (method.Name, signature, returnType, returnsFlag, parameters, ObsoleteAttributeText.Of(method));
    }

    // A parameter the analyzer found valid: with diagnosticsOnly no model is built, so no type name is rendered.
    private static readonly BoundaryParameter Checked = new(string.Empty, string.Empty, BoundaryKind.Scalar, string.Empty, string.Empty, 0);

    private static BoundaryParameter? ParseParameter(IMethodSymbol method, IParameterSymbol parameter, bool diagnosticsOnly, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var syntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as ParameterSyntax;
        LocationInfo? location = LocationInfo.From((SyntaxNode?)syntax) ?? LocationInfo.Of(parameter);
        LocationInfo? typeLocation = LocationInfo.From((SyntaxNode?)syntax?.Type) ?? location;
        ITypeSymbol type = parameter.Type;
        // Rendered only when a diagnostic or the model needs it: a valid contract checked by the analyzer needs neither.
        string? display = null;
        string Display() => display ??= type.ToDisplayString();
        AttributeData? inOut = KnownTypes.FindTailGuardAttribute(parameter.GetAttributes(), "InOutAttribute");
        AttributeData? userCheck = KnownTypes.FindTailGuardAttribute(parameter.GetAttributes(), "UserCheckAttribute");
        AttributeData? bounded = KnownTypes.FindTailGuardAttribute(parameter.GetAttributes(), "BoundedAttribute");
        int before = diagnostics.Count;

        if (parameter.RefKind != RefKind.None)
        {
            if (type.SpecialType == SpecialType.System_String && parameter.RefKind is RefKind.Out or RefKind.Ref)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.StringNotIn, location, "Parameter '" + parameter.Name + "'", method.Name));
            }
            else
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.ByReference, location, "Parameter '" + parameter.Name + "'", method.Name, CSharpNames.RefKindKeyword(parameter.RefKind)));
            }

            return null;
        }

        if (userCheck is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.UserCheckUsed, location, parameter.Name, method.Name));
            if (inOut is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.UserCheckMisuse, LocationInfo.Of(inOut, cancellationToken) ?? location, parameter.Name, method.Name, "and [InOut]"));
            }
            else if (!(KnownTypes.SpanElement(type, out bool writable) is { SpecialType: SpecialType.System_Byte }))
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.UserCheckMisuse, LocationInfo.Of(userCheck, cancellationToken) ?? location, parameter.Name, method.Name, "on '" + Display() + "'"));
            }
            else
            {
                int bound = Bound(bounded, parameter, method, 1, required: true, diagnostics, location, cancellationToken);
                return diagnostics.Skip(before).Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error)
                    ? null
                    : diagnosticsOnly ? Checked : new BoundaryParameter(parameter.Name, CSharpNames.Identifier(parameter.Name), writable ? BoundaryKind.UserCheckWritable : BoundaryKind.UserCheck, "byte", Display(), bound, IsScoped(parameter));
            }

            return null;
        }

        if (KnownTypes.SpanElement(type, out bool isWritable) is { } element)
        {
            if (inOut is not null && !isWritable)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.InOutMisuse, LocationInfo.Of(inOut, cancellationToken) ?? location, parameter.Name, method.Name, Display()));
                return null;
            }

            string? problem = ScalarProblem(element);
            if (problem is not null || element.SpecialType == SpecialType.System_Boolean)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    TrustDomainDiagnostics.TypeCannotCross, typeLocation, "Parameter '" + parameter.Name + "'", method.Name, Display(),
                    "the elements of a span must be primitives, enums or unmanaged structs other than bool (" + (problem ?? "a bool has invalid bit patterns") + ")"));
                return null;
            }

            if (StructLayoutRules.Check(element, typeLocation, "The elements of parameter '" + parameter.Name + "'", method.Name) is { } elementProblem)
            {
                diagnostics.Add(elementProblem);
                return null;
            }

            int size = ElementSize(element);
            int bound = Bound(bounded, parameter, method, size, required: true, diagnostics, location, cancellationToken);
            if (diagnostics.Count > before)
            {
                return null;
            }

            BoundaryKind kind = !isWritable ? BoundaryKind.In : inOut is not null ? BoundaryKind.InOut : BoundaryKind.Out;
            return diagnosticsOnly ? Checked : new BoundaryParameter(parameter.Name, CSharpNames.Identifier(parameter.Name), kind, CSharpNames.FullyQualified(element), Display(), bound, IsScoped(parameter));
        }

        if (inOut is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                type.SpecialType == SpecialType.System_String ? TrustDomainDiagnostics.StringNotIn : TrustDomainDiagnostics.InOutMisuse,
                LocationInfo.Of(inOut, cancellationToken) ?? location,
                type.SpecialType == SpecialType.System_String ? "Parameter '" + parameter.Name + "'" : parameter.Name,
                method.Name,
                Display()));
            return null;
        }

        if (type.SpecialType == SpecialType.System_String)
        {
            int bound = Bound(bounded, parameter, method, 1, required: false, diagnostics, location, cancellationToken);
            return diagnostics.Count > before ? null : diagnosticsOnly ? Checked : new BoundaryParameter(parameter.Name, CSharpNames.Identifier(parameter.Name), BoundaryKind.String, "string", Display(), bound, IsNullable: type.NullableAnnotation == NullableAnnotation.Annotated);
        }

        if (IsDirectionlessBuffer(type))
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.BufferWithoutDirection, typeLocation, parameter.Name, method.Name, Display()));
            return null;
        }

        if (ScalarProblem(type) is { } scalarProblem)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.TypeCannotCross, typeLocation, "Parameter '" + parameter.Name + "'", method.Name, Display(), scalarProblem));
            return null;
        }

        if (StructLayoutRules.Check(type, typeLocation, "Parameter '" + parameter.Name + "'", method.Name) is { } layoutProblem)
        {
            diagnostics.Add(layoutProblem);
            return null;
        }

        if (bounded is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.InvalidBound, LocationInfo.Of(bounded, cancellationToken) ?? location, BoundText(bounded), parameter.Name, method.Name, "is on a value that has a fixed size; remove it"));
            return null;
        }

        return diagnosticsOnly ? Checked : new BoundaryParameter(
            parameter.Name,
            CSharpNames.Identifier(parameter.Name),
            type.SpecialType == SpecialType.System_Boolean ? BoundaryKind.Flag : BoundaryKind.Scalar,
            CSharpNames.FullyQualified(type),
            Display(),
            0);
    }

    private static int Bound(AttributeData? bounded, IParameterSymbol parameter, IMethodSymbol method, int elementSize, bool required, List<DiagnosticInfo> diagnostics, LocationInfo? location, CancellationToken cancellationToken)
    {
        if (bounded is null)
        {
            if (required)
            {
                diagnostics.Add(DiagnosticInfo.Create(TrustDomainDiagnostics.MissingBound, location, parameter.Name, method.Name));
            }

            return DefaultStringBound;
        }

        int value = bounded.ConstructorArguments.Length == 1 && bounded.ConstructorArguments[0].Value is int v ? v : 0;
        long bytes = (long)value * Math.Max(elementSize, 1);
        if (value < 1 || bytes > MaxBoundBytes)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                TrustDomainDiagnostics.InvalidBound,
                LocationInfo.Of(bounded, cancellationToken) ?? location,
                BoundText(bounded),
                parameter.Name,
                method.Name,
                "must be at least 1 and at most " + MaxBoundBytes.ToString(CultureInfo.InvariantCulture) + " bytes (" + elementSize.ToString(CultureInfo.InvariantCulture) + " per element)"));
        }

        return value;
    }

    private static bool IsDirectionlessBuffer(ITypeSymbol type)
        => type is IArrayTypeSymbol
            || (type is INamedTypeSymbol { IsGenericType: true } named
                && named.ContainingNamespace?.ToDisplayString() == "System"
                && named.Name is "Memory" or "ReadOnlyMemory" or "ArraySegment");

    // A span parameter declared 'scoped' must be implemented as 'scoped' by the proxy.
    private static bool IsScoped(IParameterSymbol parameter) => parameter.ScopedKind == ScopedKind.ScopedValue;

    /// <summary>Why a type cannot cross by value, or null when it can.</summary>
    private static string? ScalarProblem(ITypeSymbol type)
    {
        if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return "a nullable value type carries a bool flag (with invalid bit patterns) and padding; pass a bool and the value";
        }

        switch (type)
        {
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                return "a pointer means nothing in another address space";
            case ITypeParameterSymbol:
                return "a type parameter has no fixed layout";
            case IArrayTypeSymbol:
                return "an array is a reference";
        }

        if (type.SpecialType == SpecialType.System_Object || type.TypeKind == TypeKind.Dynamic)
        {
            return "an object is a reference into the caller's heap";
        }

        if (type.IsReferenceType)
        {
            return "a reference points into the caller's heap, which the callee cannot (and must not) reach";
        }

        if (type.IsRefLikeType)
        {
            return "a ref struct can hold references; only ReadOnlySpan<T> and Span<T> parameters cross, as buffers";
        }

        if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
        {
            return "a native-sized integer is usually an address, and its size differs between sides";
        }

        if (!type.IsUnmanagedType)
        {
            return "a struct that holds references cannot be copied across";
        }

        return null;
    }

    private static int ElementSize(ITypeSymbol element) => element.SpecialType switch
    {
        SpecialType.System_Byte or SpecialType.System_SByte => 1,
        SpecialType.System_Int16 or SpecialType.System_UInt16 or SpecialType.System_Char => 2,
        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
        SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Double => 8,
        _ when element is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying } => ElementSize(underlying),
        _ => 16, // an unmanaged struct: its exact size is known only to the compiler; the bound check in bytes is conservative
    };

    private static string BoundText(AttributeData bounded)
        => bounded.ConstructorArguments.Length == 1 && bounded.ConstructorArguments[0].Value is int v ? v.ToString(CultureInfo.InvariantCulture) : "?";
}
