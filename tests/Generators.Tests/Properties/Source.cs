using System.Globalization;
using System.Text;
using TailGuard.Generators.Common;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>Spelling helpers for the sources the property test writes.</summary>
internal static class Source
{
    /// <summary>An identifier as source (keywords escaped), the way the generators escape them.</summary>
    public static string Id(string name) => CSharpNames.Identifier(name);

    /// <summary>A string literal in plain ASCII: quotes, backslashes and every non-ASCII or control character escaped.</summary>
    public static string Literal(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c == '"' || c == '\\')
            {
                builder.Append('\\').Append(c);
            }
            else if (c < ' ' || c > '~')
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>XML-escaped text for a doc comment.</summary>
    public static string Xml(string text) => XmlDocText.EscapeAttribute(text);

    public static string Hex(ulong value) => "0x" + value.ToString("X", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
