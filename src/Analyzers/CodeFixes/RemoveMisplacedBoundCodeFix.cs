using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// TG1013 and TG2010 where the bound sits on a value that has no length (<c>[R2P2MaxLength]</c> on an <c>int</c>,
/// <c>[Bounded]</c> on a scalar): removes the attribute, which bounds nothing there. A bound with a wrong value on a
/// string or span is left to the user: only they know the right one.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveMisplacedBoundCodeFix)), Shared]
public sealed class RemoveMisplacedBoundCodeFix : CodeFixProvider
{
    private const string Title = "Remove the bound: the value has a fixed size";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        R2P2Diagnostics.InvalidMaxLength.Id,
        TrustDomainDiagnostics.InvalidBound.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<AttributeSyntax>() is { Parent: AttributeListSyntax list } attribute
                && model is not null
                && BoundTarget(list, model, context.CancellationToken) is { } target
                && !HasLength(target))
            {
                context.RegisterCodeFix(CodeAction.Create(Title, token => RemoveAsync(context.Document, attribute, list, token), equivalenceKey: Title), diagnostic);
            }
        }
    }

    // The type the attribute bounds: its parameter's, or the method's result for [return: ...].
    private static ITypeSymbol? BoundTarget(AttributeListSyntax list, SemanticModel model, CancellationToken cancellationToken) => list.Parent switch
    {
        ParameterSyntax parameter => model.GetDeclaredSymbol(parameter, cancellationToken)?.Type,
        MethodDeclarationSyntax method when list.Target?.Identifier.ValueText == "return" => model.GetDeclaredSymbol(method, cancellationToken)?.ReturnType,
        _ => null,
    };

    private static bool HasLength(ITypeSymbol type)
        => type.SpecialType == SpecialType.System_String || KnownTypes.SpanElement(type, out _) is not null;

    private static async Task<Document> RemoveAsync(Document document, AttributeSyntax attribute, AttributeListSyntax list, CancellationToken cancellationToken)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false))!;
        SyntaxNode changed = list.Attributes.Count == 1
            ? root.RemoveNode(list, SyntaxRemoveOptions.KeepLeadingTrivia)!
            : root.ReplaceNode(list, list.WithAttributes(list.Attributes.Remove(attribute)));
        return await CodeFixCleanup.CleanupAsync(document.WithSyntaxRoot(changed), cancellationToken).ConfigureAwait(false);
    }
}
