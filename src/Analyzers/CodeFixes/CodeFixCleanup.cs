using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// The fixes build fully qualified names (<c>global::System...</c>) so they bind anywhere; this reduces them as far as the
/// file's usings allow, the same in every host.
/// </summary>
internal static class CodeFixCleanup
{
    internal static async Task<Document> CleanupAsync(Document document, CancellationToken cancellationToken)
    {
        document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(document, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces <paramref name="original"/> (keeping its trivia) and cleans the result up.</summary>
    internal static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax original, ExpressionSyntax replacement, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var changed = document.WithSyntaxRoot(root!.ReplaceNode(original, replacement.WithTriviaFrom(original)));
        return await CleanupAsync(changed, cancellationToken).ConfigureAwait(false);
    }
}
