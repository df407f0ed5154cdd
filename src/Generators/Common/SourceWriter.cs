using System;
using System.Collections.Generic;
using System.Text;

namespace TailGuard.Generators.Common;

/// <summary>
/// Writes indented C# source with '\n' line endings whatever the host, so generated output is byte-for-byte
/// deterministic across machines.
/// </summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter Line(string text)
    {
        if (text.Length > 0)
        {
            for (int i = 0; i < _indent; i++)
            {
                _builder.Append(IndentUnit);
            }

            _builder.Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    public SourceWriter Line() => Line(string.Empty);

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents.</summary>
    public SourceWriter Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return this;
    }

    /// <summary>Unindents and writes a closing brace followed by <paramref name="suffix"/>.</summary>
    public SourceWriter Close(string suffix = "")
    {
        if (_indent == 0)
        {
            throw new InvalidOperationException("Close without a matching Open.");
        }

        _indent--;
        Line("}" + suffix);
        return this;
    }

    /// <summary>
    /// Writes the file-scoped namespace (none for the global namespace) and opens a <c>partial</c> redeclaration of each
    /// containing type, outermost first; <see cref="CloseContainingTypes"/> closes them.
    /// </summary>
    public SourceWriter OpenNamespaceAndContainingTypes(string ns, IEnumerable<ContainingTypeInfo> containingTypes)
    {
        if (ns.Length > 0)
        {
            Line("namespace " + ns + ";");
            Line();
        }

        foreach (ContainingTypeInfo containing in containingTypes)
        {
            Open("partial " + containing.Keyword + " " + containing.NameWithTypeParameters);
        }

        return this;
    }

    /// <summary>Closes what <see cref="OpenNamespaceAndContainingTypes"/> opened for the same containing types.</summary>
    public SourceWriter CloseContainingTypes(IEnumerable<ContainingTypeInfo> containingTypes)
    {
        foreach (ContainingTypeInfo unused in containingTypes)
        {
            Close();
        }

        return this;
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Unindent()
    {
        _indent--;
        return this;
    }

    public override string ToString() => _builder.ToString();
}
