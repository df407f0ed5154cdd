using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TailGuard.Generators.Common;

/// <summary>
/// A contract member's <c>[Obsolete]</c>, rewritten for generated code: the generated member a user calls instead
/// carries the same message, error flag, diagnostic id and URL, so the user is warned (or stopped) exactly as by the
/// contract member itself.
/// </summary>
internal static class ObsoleteAttributeText
{
    /// <summary>The attribute to write, or "" when <paramref name="symbol"/> is not obsolete.</summary>
    public static string Of(ISymbol symbol)
    {
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "ObsoleteAttribute", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } })
            {
                var arguments = new List<string>();
                foreach (TypedConstant argument in attribute.ConstructorArguments)
                {
                    arguments.Add(argument.ToCSharpString());
                }

                foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
                {
                    arguments.Add(argument.Key + " = " + argument.Value.ToCSharpString());
                }

                return "[global::System.Obsolete(" + string.Join(", ", arguments) + ")]";
            }
        }

        return string.Empty;
    }

    /// <summary>The plain marker for generated helpers of an obsolete member: their bodies may then use it (even an error-level one) without a diagnostic.</summary>
    public const string Marker = "[global::System.Obsolete]";
}
