using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>TG3010: adds <c>static</c> to a lambda that captures nothing, so a later capture becomes a compile error.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StaticLambdaCodeFix)), Shared]
public sealed class StaticLambdaCodeFix : CodeFixProvider
{
    private const string Title = "Make the lambda static";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticRules.LambdaCouldBeStatic.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.Properties.ContainsKey(AllocationFinding.QueryClauseProperty))
            {
                continue;
            }

            // The diagnostic starts where its lambda starts; an enclosing lambda is never the one to change.
            var lambda = root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.FirstAncestorOrSelf<AnonymousFunctionExpressionSyntax>();
            if (lambda is null || lambda.SpanStart != diagnostic.Location.SourceSpan.Start || lambda.Modifiers.Any(SyntaxKind.StaticKeyword))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, token => MakeStaticAsync(context.Document, lambda, token), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static async Task<Document> MakeStaticAsync(Document document, AnonymousFunctionExpressionSyntax lambda, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var leading = lambda.GetLeadingTrivia();
        var staticKeyword = SyntaxFactory.Token(leading, SyntaxKind.StaticKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        var updated = lambda.WithoutLeadingTrivia().WithModifiers(lambda.Modifiers.Insert(0, staticKeyword));
        return document.WithSyntaxRoot(root!.ReplaceNode(lambda, updated));
    }
}
