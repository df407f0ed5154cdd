using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace TailGuard.Generators.Common;

/// <summary>How both generators recognise the framework and TailGuard types they treat specially.</summary>
internal static class KnownTypes
{
    /// <summary>Whether <paramref name="attribute"/> is <c>TailGuard.{name}</c>.</summary>
    public static bool IsTailGuardAttribute(AttributeData attribute, string name)
        => attribute.AttributeClass is { } type && type.Name == name && type.ContainingNamespace is { Name: "TailGuard", ContainingNamespace.IsGlobalNamespace: true };

    /// <summary>The first <c>TailGuard.{name}</c> among <paramref name="attributes"/>, or null.</summary>
    public static AttributeData? FindTailGuardAttribute(IEnumerable<AttributeData> attributes, string name)
    {
        foreach (AttributeData attribute in attributes)
        {
            if (IsTailGuardAttribute(attribute, name))
            {
                return attribute;
            }
        }

        return null;
    }

    /// <summary>The element type of <c>System.ReadOnlySpan&lt;T&gt;</c> (read-only) or <c>System.Span&lt;T&gt;</c> (writable), or null.</summary>
    public static ITypeSymbol? SpanElement(ITypeSymbol type, out bool writable)
    {
        writable = false;
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1, Name: "Span" or "ReadOnlySpan" } named
            && named.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true })
        {
            writable = named.Name == "Span";
            return named.TypeArguments[0];
        }

        return null;
    }
}
