using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// The scaffolding the mechanical fixes share: an analyzer marks a diagnostic with a property when it has checked that
/// the fix applies (the fix never second-guesses it), and the fix rewrites the syntax node at the diagnostic's location.
/// </summary>
internal static class MarkedDiagnostics
{
    /// <summary>
    /// Calls <paramref name="register"/> for each diagnostic of <paramref name="context"/> marked with
    /// <paramref name="property"/> whose location is a <typeparamref name="TNode"/> that <paramref name="accepts"/>.
    /// </summary>
    internal static async Task ForEachAsync<TNode>(
        CodeFixContext context, string property, Func<TNode, bool>? accepts, Action<Diagnostic, TNode> register)
        where TNode : SyntaxNode
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(property) &&
                root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is TNode node &&
                (accepts is null || accepts(node)))
            {
                register(diagnostic, node);
            }
        }
    }

    /// <summary>
    /// Registers one fix, titled <paramref name="title"/> (also its equivalence key, so Fix All groups it), for each
    /// diagnostic <see cref="ForEachAsync"/> selects.
    /// </summary>
    internal static Task RegisterAsync<TNode>(
        CodeFixContext context, string property, string title, Func<TNode, bool>? accepts,
        Func<Document, TNode, CancellationToken, Task<Document>> fix)
        where TNode : SyntaxNode =>
        ForEachAsync<TNode>(context, property, accepts, (diagnostic, node) => context.RegisterCodeFix(
            CodeAction.Create(title, token => fix(context.Document, node, token), equivalenceKey: title), diagnostic));
}
