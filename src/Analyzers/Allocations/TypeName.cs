using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// A type's name as a message shows it, rendered on first use. Most findings are never shown (callees summarized for
/// TG3018 keep only their first, code in attributes or throw expressions is dropped), and rendering a symbol is the
/// costliest thing the detector did per allocation.
/// </summary>
internal sealed class TypeName
{
    private readonly ITypeSymbol _type;
    private readonly SymbolDisplayFormat _format;
    private string? _text;

    internal TypeName(ITypeSymbol type, SymbolDisplayFormat format)
    {
        _type = type;
        _format = format;
    }

    /// <inheritdoc />
    public override string ToString() => _text ??= _type.ToDisplayString(_format);
}
