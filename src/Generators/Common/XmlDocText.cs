namespace TailGuard.Generators.Common;

/// <summary>Escapes text for XML doc comments (type names such as Outer&lt;T&gt; would otherwise break them).</summary>
internal static class XmlDocText
{
    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Escapes text for a double-quoted XML attribute value.</summary>
    public static string EscapeAttribute(string text) => Escape(text).Replace("\"", "&quot;");
}
