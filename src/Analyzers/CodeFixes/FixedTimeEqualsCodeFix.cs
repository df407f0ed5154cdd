using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using TailGuard.Analyzers.Rules;
using TailGuard.Analyzers.SecretFlow;

namespace TailGuard.Analyzers.CodeFixes;

/// <summary>
/// TG4007: replaces <c>a.SequenceEqual(b)</c> (or the static form) on bytes with
/// <c>CryptographicOperations.FixedTimeEquals(a, b)</c>. Offered only when the analyzer saw two byte arrays or spans.
/// The name is reduced as far as the file's usings allow; no using is added, because identical insertions from several
/// fixes conflict in the batch Fix All.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FixedTimeEqualsCodeFix)), Shared]
public sealed class FixedTimeEqualsCodeFix : CodeFixProvider
{
    private const string Title = "Use CryptographicOperations.FixedTimeEquals";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticRules.VariableTimeSecretComparison.Id);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override Task RegisterCodeFixesAsync(CodeFixContext context) =>
        MarkedDiagnostics.RegisterAsync<InvocationExpressionSyntax>(
            context, TaintRun.FixedTimeEqualsProperty, Title, static invocation => Operands(invocation) is not null, ReplaceAsync);

    private static (ExpressionSyntax Left, ExpressionSyntax Right)? Operands(InvocationExpressionSyntax invocation)
    {
        var arguments = invocation.ArgumentList.Arguments;
        return invocation.Expression switch
        {
            // a.SequenceEqual(b): the receiver is the first operand (an extension method call).
            MemberAccessExpressionSyntax member when arguments.Count == 1 && !IsTypeName(member.Expression) =>
                (member.Expression, arguments[0].Expression),
            // MemoryExtensions.SequenceEqual(a, b)
            MemberAccessExpressionSyntax when arguments.Count == 2 => (arguments[0].Expression, arguments[1].Expression),
            _ => null,
        };
    }

    private static bool IsTypeName(ExpressionSyntax expression) =>
        expression is IdentifierNameSyntax { Identifier.ValueText: "MemoryExtensions" or "Enumerable" } or
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MemoryExtensions" or "Enumerable" };

    private static Task<Document> ReplaceAsync(Document document, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        var (left, right) = Operands(invocation)!.Value;
        var replacement = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    SyntaxFactory.ParseExpression("global::System.Security.Cryptography.CryptographicOperations").WithAdditionalAnnotations(Simplifier.Annotation),
                    SyntaxFactory.IdentifierName("FixedTimeEquals")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(new[]
                {
                    SyntaxFactory.Argument(left.WithoutTrivia()),
                    SyntaxFactory.Argument(right.WithoutTrivia()),
                })))
            .WithAdditionalAnnotations(Simplifier.Annotation);
        return CodeFixCleanup.ReplaceAsync(document, invocation, replacement, cancellationToken);
    }
}
