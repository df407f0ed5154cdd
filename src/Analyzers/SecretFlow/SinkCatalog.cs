using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// What the secret-flow rules know about symbols, apart from any flow: which members are [Secret] sources, which calls
/// are sinks (the host, the network, logs), declassifiers, variable-time comparisons, and library calls that write
/// into a buffer argument.
/// </summary>
internal sealed class SinkCatalog
{
    private readonly TailGuardSymbols _symbols;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _inheritsSecretReturn = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> _inheritsSecretProperty = new(SymbolEqualityComparer.Default);

    internal SinkCatalog(TailGuardSymbols symbols) => _symbols = symbols;

    /// <summary>
    /// A [Secret] field or property, an override or interface implementation of a [Secret] property, or a record's
    /// positional property whose primary-constructor parameter is [Secret] (<c>record Key([Secret] byte[] Seed)</c>: the
    /// attribute is written on the parameter, the property is what members and callers read).
    /// </summary>
    internal bool IsSecret(ISymbol member)
    {
        if (TailGuardSymbols.Has(member, _symbols.Secret))
        {
            return true;
        }

        if (member is IPropertySymbol { ContainingType.IsRecord: true } positional && PositionalParameter(positional) is { } parameter &&
            TailGuardSymbols.Has(parameter, _symbols.Secret))
        {
            return true;
        }

        // An override or implementation of a [Secret] property: its accessors override or implement the declaration's.
        return member is IPropertySymbol property && (property.GetMethod ?? property.SetMethod) is { } accessor &&
            InheritedDeclarations.MayExist(accessor) && _inheritsSecretProperty.GetOrAdd(accessor, InheritsSecretProperty);
    }

    private bool InheritsSecretProperty(IMethodSymbol accessor) =>
        InheritedDeclarations.Any(accessor, declaration => declaration.AssociatedSymbol is { } declared && TailGuardSymbols.Has(declared, _symbols.Secret));

    /// <summary>
    /// A [Secret] parameter of a primary constructor (<c>class Vault([Secret] byte[] key)</c>): the type's members read it
    /// from a hidden field, so it is a source wherever it is read, not only in the constructor.
    /// </summary>
    internal bool IsSecretPrimaryConstructorParameter(IParameterSymbol parameter) =>
        parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor &&
        TailGuardSymbols.Has(parameter, _symbols.Secret) && MethodBodies.IsPrimaryConstructor(constructor);

    /// <summary>The primary-constructor parameter a record's positional property is declared by (in source), or null.</summary>
    private static IParameterSymbol? PositionalParameter(IPropertySymbol property)
    {
        var references = property.DeclaringSyntaxReferences;
        if (references.Length != 1 || references[0].GetSyntax() is not Microsoft.CodeAnalysis.CSharp.Syntax.ParameterSyntax)
        {
            return null;
        }

        foreach (var constructor in property.ContainingType.InstanceConstructors)
        {
            if (MethodBodies.IsPrimaryConstructor(constructor))
            {
                foreach (var parameter in constructor.Parameters)
                {
                    if (parameter.Name == property.Name)
                    {
                        return parameter;
                    }
                }
            }
        }

        return null;
    }

    internal bool IsDeclassifier(IMethodSymbol method) =>
        TailGuardSymbols.Has(method, _symbols.Declassifier) || TailGuardSymbols.Has(method.OriginalDefinition, _symbols.Declassifier) ||
        (method.ReducedFrom is { } reduced && TailGuardSymbols.Has(reduced, _symbols.Declassifier));

    /// <summary>
    /// True when the method's return value is [Secret], or that of a method it overrides or an interface method it
    /// implements: <c>[return: Secret]</c> on <c>IKeyStore.Load</c> makes a direct call of <c>KeyStore.Load</c> a source
    /// too, as a [Secret] parameter of the interface method makes the implementation's parameter one.
    /// </summary>
    /// <remarks>Asked at every call: a method that can inherit nothing is answered without the cache.</remarks>
    internal bool ReturnsSecret(IMethodSymbol method) =>
        TailGuardSymbols.ReturnHas(method, _symbols.Secret) ||
        (InheritedDeclarations.MayExist(method) && _inheritsSecretReturn.GetOrAdd(method, InheritsSecretReturn));

    private bool InheritsSecretReturn(IMethodSymbol method) =>
        InheritedDeclarations.Any(method, declaration => TailGuardSymbols.ReturnHas(declaration, _symbols.Secret));

    /// <summary>The rule for a call whose arguments leave the domain, reach the network or reach a log.</summary>
    internal DiagnosticDescriptor? SinkOf(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        if (TailGuardSymbols.Has(type, _symbols.HostCalls))
        {
            return DiagnosticRules.SecretLeavesTrustDomain;
        }

        if (TailGuardSymbols.Has(type, _symbols.R2P2Service) || SymbolEqualityComparer.Default.Equals(type, _symbols.R2P2Client) ||
            IsGeneratedClient(type))
        {
            return DiagnosticRules.SecretToNetwork;
        }

        if (SymbolEqualityComparer.Default.Equals(type, _symbols.Console) || SymbolEqualityComparer.Default.Equals(type, _symbols.Debug) ||
            SymbolEqualityComparer.Default.Equals(type, _symbols.Trace) || SymbolEqualityComparer.Default.Equals(type, _symbols.LoggerExtensions) ||
            SymbolEqualityComparer.Default.Equals(type, _symbols.Logger))
        {
            return DiagnosticRules.SecretToLog;
        }

        return null;
    }

    internal static bool IsVariableTimeComparison(IMethodSymbol method) => method.Name switch
    {
        "SequenceEqual" or "Equals" => true,
        "Compare" or "CompareOrdinal" => method.ContainingType?.SpecialType == SpecialType.System_String,
        _ => false,
    };

    /// <summary>Both operands of a SequenceEqual are bytes (arrays or spans): FixedTimeEquals takes them as they are.</summary>
    internal bool CanUseFixedTimeEquals(IInvocationOperation invocation)
    {
        if (invocation.TargetMethod.Name != "SequenceEqual")
        {
            return false;
        }

        var operands = new List<IOperation>();
        if (invocation.Instance is not null)
        {
            operands.Add(invocation.Instance);
        }

        foreach (var argument in invocation.Arguments)
        {
            operands.Add(argument.Value);
        }

        if (operands.Count != 2)
        {
            return false;
        }

        foreach (var operand in operands)
        {
            var type = operand is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand.Type : operand.Type;
            if (!IsByteSequence(type))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A span or array parameter of a library call named like a destination (<c>destination</c>, <c>dst</c>,
    /// <c>bytes</c>, <c>buffer</c>, <c>output</c>): CopyTo, TryCopyTo, Array.Copy, Buffer.BlockCopy, Encoding.GetBytes,
    /// BinaryPrimitives.Write* write their other inputs into it.
    /// </summary>
    internal bool IsDestinationParameter(IParameterSymbol parameter)
    {
        var isBuffer = parameter.Type is IArrayTypeSymbol || TailGuardSymbols.IsConstructedFrom(parameter.Type, _symbols.Span);
        if (!isBuffer)
        {
            return false;
        }

        var name = parameter.Name;
        return name.IndexOf("dest", StringComparison.OrdinalIgnoreCase) >= 0 || name.IndexOf("dst", StringComparison.OrdinalIgnoreCase) >= 0 ||
            name is "bytes" or "buffer" or "output";
    }

    internal bool IsException(ITypeSymbol? type)
    {
        for (var current = type; current is not null && _symbols.Exception is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, _symbols.Exception))
            {
                return true;
            }
        }

        return false;
    }

    internal bool IsSpan(ITypeSymbol? type) => TailGuardSymbols.IsConstructedFrom(type, _symbols.Span);

    /// <summary>A {Name}Client emitted by the TailGuard generator: a class declared only in a generated .g.cs file.</summary>
    private static bool IsGeneratedClient(INamedTypeSymbol type)
    {
        if (!type.Name.EndsWith("Client", StringComparison.Ordinal) || type.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (!reference.SyntaxTree.FilePath.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsByteSequence(ITypeSymbol? type) => type switch
    {
        IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte } => true,
        INamedTypeSymbol { TypeArguments.Length: 1 } named when
            (TailGuardSymbols.IsConstructedFrom(named, _symbols.Span) || TailGuardSymbols.IsConstructedFrom(named, _symbols.ReadOnlySpan)) =>
            named.TypeArguments[0].SpecialType == SpecialType.System_Byte,
        _ => false,
    };
}
