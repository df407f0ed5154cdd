using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// TG4006: marks the field or property that receives a secret <c>[Secret]</c> (the diagnostic's additional location).
/// Written <c>[TailGuard.Secret]</c> when the file does not import TailGuard (no using is added: see FixedTimeEqualsCodeFix).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddSecretAttributeCodeFix)), Shared]
public sealed class AddSecretAttributeCodeFix : CodeFixProvider
{
    private const string Title = "Mark the member [Secret]";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticRules.SecretToNonSecretStorage.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.AdditionalLocations.Count == 0 || diagnostic.AdditionalLocations[0].SourceTree is not { } tree)
            {
                continue;
            }

            // A host may hand over diagnostics computed on an earlier version of the solution: find the member's
            // document by its tree, else by its path, and read the current text.
            var solution = context.Document.Project.Solution;
            var document = solution.GetDocument(tree) ?? DocumentAt(solution, tree.FilePath);
            if (document is null || await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false) is not { } root)
            {
                continue;
            }

            var member = MemberDeclaration(root.FindToken(diagnostic.AdditionalLocations[0].SourceSpan.Start).Parent);
            if (member is null)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, token => AddAttributeAsync(document, member, token), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static Document? DocumentAt(Solution solution, string path)
    {
        foreach (var id in solution.GetDocumentIdsWithFilePath(path))
        {
            return solution.GetDocument(id);
        }

        return null;
    }

    private static MemberDeclarationSyntax? MemberDeclaration(SyntaxNode? node) => node switch
    {
        null => null,
        VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } => field,
        PropertyDeclarationSyntax property => property,
        _ => MemberDeclaration(node.Parent is MemberDeclarationSyntax and not (FieldDeclarationSyntax or PropertyDeclarationSyntax) ? null : node.Parent),
    };

    private static async Task<Solution> AddAttributeAsync(Document document, MemberDeclarationSyntax member, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var attribute = SyntaxFactory.Attribute(SyntaxFactory.ParseName("global::TailGuard.Secret"))
            .WithAdditionalAnnotations(Simplifier.Annotation);
        editor.AddAttribute(member, attribute);
        var changed = await CodeFixCleanup.CleanupAsync(editor.GetChangedDocument(), cancellationToken).ConfigureAwait(false);
        return changed.Project.Solution;
    }
}
