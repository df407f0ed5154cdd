using System.Collections.Generic;
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
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// TG3002 on a small constant-size array local (the analyzer decides, see <see cref="StackallocCandidate"/>): declares it
/// as <c>Span&lt;T&gt; name = stackalloc T[n]</c> and rewrites its <c>AsSpan(...)</c> calls to the span or a <c>Slice</c>.
/// Element accesses, <c>Length</c>, foreach and span arguments read the same on a span.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StackallocCodeFix)), Shared]
public sealed class StackallocCodeFix : CodeFixProvider
{
    private const string Title = "Allocate on the stack with stackalloc";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticRules.ArrayAllocation.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.ContainsKey(AllocationFinding.StackallocProperty) ||
                root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax creation ||
                creation is not (ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax) ||
                creation.Parent is not EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } declarator })
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, token => MoveToStackAsync(context.Document, creation, declaration, declarator, token), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static async Task<Document> MoveToStackAsync(
        Document document, ExpressionSyntax creation, VariableDeclarationSyntax declaration, VariableDeclaratorSyntax declarator, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model?.GetDeclaredSymbol(declarator, cancellationToken) is not ILocalSymbol { Type: IArrayTypeSymbol arrayType } local)
        {
            return document;
        }

        var asSpanCalls = new List<InvocationExpressionSyntax>();
        var scope = declaration.FirstAncestorOrSelf<BlockSyntax>() ?? (SyntaxNode)declaration.Parent!;
        foreach (var identifier in scope.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (identifier.Identifier.ValueText == local.Name &&
                identifier.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AsSpan", Parent: InvocationExpressionSyntax call } access &&
                access.Expression == identifier &&
                SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
            {
                asSpanCalls.Add(call);
            }
        }

        var spanType = SyntaxFactory.ParseTypeName("global::System.Span<" + arrayType.ElementType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ">")
            .WithAdditionalAnnotations(Simplifier.Annotation);
        var nodes = new List<SyntaxNode>(asSpanCalls) { creation, declaration.Type };
        var updated = root.ReplaceNodes(nodes, (original, rewritten) => original switch
        {
            InvocationExpressionSyntax call => AsSpanReplacement((InvocationExpressionSyntax)rewritten).WithTriviaFrom(call),
            TypeSyntax type => spanType.WithTriviaFrom(type),
            _ => StackallocFor(rewritten).WithTriviaFrom(original),
        });
        return await CodeFixCleanup.CleanupAsync(document.WithSyntaxRoot(updated), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>x.AsSpan()</c> is the span itself; <c>x.AsSpan(start[, length])</c> is <c>x.Slice(start[, length])</c>.</summary>
    private static ExpressionSyntax AsSpanReplacement(InvocationExpressionSyntax call)
    {
        var access = (MemberAccessExpressionSyntax)call.Expression;
        if (call.ArgumentList.Arguments.Count == 0)
        {
            return access.Expression;
        }

        return call.WithExpression(access.WithName(SyntaxFactory.IdentifierName("Slice")));
    }

    private static ExpressionSyntax StackallocFor(SyntaxNode creation) => creation switch
    {
        ArrayCreationExpressionSyntax array => SyntaxFactory.StackAllocArrayCreationExpression(array.Type, array.Initializer),
        ImplicitArrayCreationExpressionSyntax implicitArray => SyntaxFactory.ImplicitStackAllocArrayCreationExpression(implicitArray.Initializer),
        _ => (ExpressionSyntax)creation,
    };
}
