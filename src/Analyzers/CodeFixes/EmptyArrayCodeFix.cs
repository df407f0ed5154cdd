using System.Collections.Immutable;
using System.Composition;
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
/// TG3002 on an empty array (<c>new T[0]</c>, <c>new T[] { }</c>): replaces it with <c>Array.Empty&lt;T&gt;()</c>, one shared
/// instance per element type; where the target type is explicit (C# 12 and later), an empty collection expression.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(EmptyArrayCodeFix)), Shared]
public sealed class EmptyArrayCodeFix : CodeFixProvider
{
    private const string ArrayEmptyTitle = "Use Array.Empty<T>()";
    private const string CollectionExpressionTitle = "Use an empty collection expression";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticRules.ArrayAllocation.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context) =>
        MarkedDiagnostics.ForEachAsync<ArrayCreationExpressionSyntax>(context, AllocationFinding.EmptyArrayProperty, accepts: null, (diagnostic, creation) =>
        {
            context.RegisterCodeFix(
                CodeAction.Create(ArrayEmptyTitle, token => CodeFixCleanup.ReplaceAsync(context.Document, creation, ArrayEmpty(creation), token), equivalenceKey: ArrayEmptyTitle),
                diagnostic);

            if (HasExplicitTargetType(creation) &&
                creation.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp12 })
            {
                var empty = SyntaxFactory.CollectionExpression();
                context.RegisterCodeFix(
                    CodeAction.Create(CollectionExpressionTitle, token => CodeFixCleanup.ReplaceAsync(context.Document, creation, empty, token), equivalenceKey: CollectionExpressionTitle),
                    diagnostic);
            }
        });

    private static InvocationExpressionSyntax ArrayEmpty(ArrayCreationExpressionSyntax creation) =>
        SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.ParseExpression("global::System.Array").WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.GenericName(SyntaxFactory.Identifier("Empty"),
                        SyntaxFactory.TypeArgumentList(SyntaxFactory.SingletonSeparatedList(creation.Type.ElementType.WithoutTrivia())))))
            .WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary>An empty collection expression needs its type from the context: a typed declaration, a return or an argument.</summary>
    private static bool HasExplicitTargetType(ArrayCreationExpressionSyntax creation) => creation.Parent switch
    {
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type.IsVar: false } } } => true,
        EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax or ParameterSyntax } => true,
        ReturnStatementSyntax or ArrowExpressionClauseSyntax => true,
        _ => false,
    };
}
