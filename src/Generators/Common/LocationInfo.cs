using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TailGuard.Generators.Common;

/// <summary>
/// Where a diagnostic points, kept as plain values (file path, span, line span) so models never hold a
/// <see cref="Location"/> (which pins a syntax tree and breaks incremental caching).
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    public static LocationInfo? From(SyntaxNode? node) => From(node?.GetLocation());

    public static LocationInfo? From(SyntaxToken token) => From(token.GetLocation());

    /// <summary>The first source location of a symbol.</summary>
    public static LocationInfo? Of(ISymbol symbol) => From(System.Linq.Enumerable.FirstOrDefault(symbol.Locations, l => l.IsInSource));

    /// <summary>Where an attribute is applied in source.</summary>
    public static LocationInfo? Of(AttributeData attribute, System.Threading.CancellationToken cancellationToken)
        => From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));

    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);
}
