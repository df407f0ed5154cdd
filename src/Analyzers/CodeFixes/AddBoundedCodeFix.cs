using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// TG2005 (a trust-boundary span without a bound): adds <c>[Bounded(256)]</c> to the parameter, beside any attributes it
/// already has. 256 is a placeholder, the default bound of a string: set it to the most elements the call may carry.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddBoundedCodeFix)), Shared]
public sealed class AddBoundedCodeFix : CodeFixProvider
{
    /// <summary>The placeholder bound the fix writes.</summary>
    public const int PlaceholderBound = 256;

    private const string Title = "Add [Bounded(256)] (a placeholder: set the real maximum)";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(TrustDomainDiagnostics.MissingBound.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<ParameterSyntax>() is { } parameter)
            {
                context.RegisterCodeFix(CodeAction.Create(Title, token => AddAsync(context.Document, parameter, token), equivalenceKey: Title), diagnostic);
            }
        }
    }

    private static async Task<Document> AddAsync(Document document, ParameterSyntax parameter, CancellationToken cancellationToken)
    {
        AttributeSyntax bounded = SyntaxFactory.Attribute(
            SyntaxFactory.ParseName("global::TailGuard.Bounded").WithAdditionalAnnotations(Simplifier.Annotation),
            SyntaxFactory.ParseAttributeArgumentList("(" + PlaceholderBound + ")"));
        ParameterSyntax fixedParameter = parameter.AttributeLists.Count > 0
            ? parameter.ReplaceNode(parameter.AttributeLists.Last(), parameter.AttributeLists.Last().AddAttributes(bounded))
            : parameter
                .WithoutLeadingTrivia()
                .AddAttributeLists(SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(bounded)).WithTrailingTrivia(SyntaxFactory.Space))
                .WithLeadingTrivia(parameter.GetLeadingTrivia());
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        return await CodeFixCleanup.CleanupAsync(document.WithSyntaxRoot(root.ReplaceNode(parameter, fixedParameter)), cancellationToken).ConfigureAwait(false);
    }
}
