using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TailGuard.Generators.Common;

/// <summary>
/// Writes <c>cref</c> attribute values that resolve from any generated file: fully qualified with <c>global::</c>,
/// generic arity in braces (<c>global::Outer{T}.Inner.IClock</c>, so contracts nested in generic types resolve),
/// tuples and nullable value types as their underlying <c>ValueTuple{...}</c> and <c>Nullable{T}</c>, and a method
/// with its parameter list so overloads resolve.
/// </summary>
internal static class Cref
{
    /// <summary>The cref of a type or a method.</summary>
    public static string For(ISymbol symbol)
    {
        var builder = new StringBuilder();
        if (symbol is IMethodSymbol method)
        {
            AppendDefinition(builder, method.ContainingType);
            builder.Append('.').Append(CSharpNames.Identifier(method.Name)).Append('(');
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }

                IParameterSymbol parameter = method.Parameters[i];
                if (parameter.RefKind != RefKind.None)
                {
                    builder.Append(CSharpNames.RefKindKeyword(parameter.RefKind)).Append(' ');
                }

                AppendType(builder, parameter.Type);
            }

            builder.Append(')');
        }
        else if (symbol is INamedTypeSymbol type)
        {
            AppendDefinition(builder, type);
        }
        else
        {
            builder.Append(CSharpNames.Identifier(symbol.Name));
        }

        return XmlDocText.EscapeAttribute(builder.ToString());
    }

    /// <summary>The cref prefix of the scope a contract is declared in ("global::Ns.Outer{T}."): a sibling type's cref is this plus its name.</summary>
    public static string ContainerOf(INamedTypeSymbol contract)
    {
        var builder = new StringBuilder();
        AppendContainer(builder, contract);
        return XmlDocText.EscapeAttribute(builder.ToString());
    }

    // A type as declared: its own type parameters in braces ("Outer{T}").
    private static void AppendDefinition(StringBuilder builder, INamedTypeSymbol type)
    {
        AppendContainer(builder, type);
        builder.Append(CSharpNames.Identifier(type.Name));
        if (type.TypeParameters.Length > 0)
        {
            builder.Append('{').Append(string.Join(", ", type.TypeParameters.Select(p => CSharpNames.Identifier(p.Name)))).Append('}');
        }
    }

    private static void AppendContainer(StringBuilder builder, INamedTypeSymbol type)
    {
        if (type.ContainingType is { } outer)
        {
            AppendConstructed(builder, outer);
            builder.Append('.');
        }
        else
        {
            builder.Append("global::");
            if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
            {
                builder.Append(string.Join(".", ns.ToDisplayParts().Where(p => p.Kind == SymbolDisplayPartKind.NamespaceName).Select(p => CSharpNames.Identifier(p.ToString()))));
                builder.Append('.');
            }
        }
    }

    // A type as used in a signature: its type arguments in braces ("ReadOnlySpan{byte}", "Outer{T}.Pair").
    private static void AppendConstructed(StringBuilder builder, INamedTypeSymbol type)
    {
        AppendContainer(builder, type);
        builder.Append(CSharpNames.Identifier(type.Name));
        if (type.TypeArguments.Length > 0)
        {
            builder.Append('{');
            for (int i = 0; i < type.TypeArguments.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }

                AppendType(builder, type.TypeArguments[i]);
            }

            builder.Append('}');
        }
    }

    private static void AppendType(StringBuilder builder, ITypeSymbol type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                AppendType(builder, array.ElementType);
                builder.Append('[').Append(',', array.Rank - 1).Append(']');
                return;
            case IPointerTypeSymbol pointer:
                AppendType(builder, pointer.PointedAtType);
                builder.Append('*');
                return;
            case ITypeParameterSymbol parameter:
                builder.Append(CSharpNames.Identifier(parameter.Name));
                return;
            case INamedTypeSymbol { IsTupleType: true, TupleUnderlyingType: { } underlying }:
                AppendConstructed(builder, underlying);
                return;
            case INamedTypeSymbol named when named.SpecialType is not SpecialType.None and not SpecialType.System_Nullable_T && Keyword(named.SpecialType) is { } keyword:
                builder.Append(keyword);
                return;
            case INamedTypeSymbol named:
                AppendConstructed(builder, named);
                return;
            default:
                builder.Append(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                return;
        }
    }

    private static string? Keyword(SpecialType type) => type switch
    {
        SpecialType.System_Object => "object",
        SpecialType.System_Boolean => "bool",
        SpecialType.System_Char => "char",
        SpecialType.System_SByte => "sbyte",
        SpecialType.System_Byte => "byte",
        SpecialType.System_Int16 => "short",
        SpecialType.System_UInt16 => "ushort",
        SpecialType.System_Int32 => "int",
        SpecialType.System_UInt32 => "uint",
        SpecialType.System_Int64 => "long",
        SpecialType.System_UInt64 => "ulong",
        SpecialType.System_Decimal => "decimal",
        SpecialType.System_Single => "float",
        SpecialType.System_Double => "double",
        SpecialType.System_String => "string",
        _ => null,
    };
}
