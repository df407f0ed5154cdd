using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Analyzers.CodeFixes;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.Analyzers;

/// <summary>
/// The mechanical contract fixes, applied in a workspace as an IDE applies them: each turns the reported declaration
/// into one the analyzer accepts and the generator generates for; a fix is not offered where it would guess.
/// </summary>
public sealed class ContractCodeFixTests
{
    private const string Usings = "using System;\nusing TailGuard;\nusing TailGuard.R2P2;\n";

    [Fact]
    public async Task TG2005_adds_a_placeholder_bound_to_an_unbounded_span()
    {
        string fixedSource = await FixAsync(new AddBoundedCodeFix(), "TG2005", Usings + "[TrustDomain] public interface IDomain { void Call(ReadOnlySpan<byte> data, int count); }");

        Assert.Equal(Usings + "[TrustDomain] public interface IDomain { void Call([Bounded(256)] ReadOnlySpan<byte> data, int count); }", fixedSource);
        AssertValidAndGenerated(new TrustDomainGenerator(), fixedSource);
    }

    [Fact]
    public async Task TG2005_joins_the_bound_to_the_parameters_attributes()
    {
        string fixedSource = await FixAsync(new AddBoundedCodeFix(), "TG2005", Usings + "[TrustDomain] public interface IDomain { void Call([InOut] Span<long> data); }");

        Assert.Equal(Usings + "[TrustDomain] public interface IDomain { void Call([InOut, Bounded(256)] Span<long> data); }", fixedSource);
        AssertValidAndGenerated(new TrustDomainGenerator(), fixedSource);
    }

    [Fact]
    public async Task TG2005_qualifies_the_attribute_without_a_using()
    {
        string source = "[TailGuard.TrustDomain] public interface IDomain { void Call(System.Span<byte> data); }";

        string fixedSource = await FixAsync(new AddBoundedCodeFix(), "TG2005", source);

        Assert.Equal("[TailGuard.TrustDomain] public interface IDomain { void Call([TailGuard.Bounded(256)] System.Span<byte> data); }", fixedSource);
    }

    [Theory]
    [InlineData("TG1011", "public static class Outer { [R2P2Service] public interface IService { void Call(); } }", "public static partial class Outer { [R2P2Service] public interface IService { void Call(); } }")]
    [InlineData("TG2012", "internal sealed class Outer { [TrustDomain] public interface IDomain { void Call(int value); } }", "internal sealed partial class Outer { [TrustDomain] public interface IDomain { void Call(int value); } }")]
    [InlineData("TG1011", "/// <summary>Doc.</summary>\nclass Outer { [R2P2Service] public interface IService { void Call(); } }", "/// <summary>Doc.</summary>\npartial class Outer { [R2P2Service] public interface IService { void Call(); } }")]
    [InlineData("TG2012", "[Serializable] public record Outer { [TrustDomain] public interface IDomain { void Call(int value); } }", "[Serializable] public partial record Outer { [TrustDomain] public interface IDomain { void Call(int value); } }")]
    public async Task The_containing_type_becomes_partial(string id, string source, string expected)
    {
        string fixedSource = await FixAsync(new MakePartialCodeFix(), id, Usings + source);

        Assert.Equal(Usings + expected, fixedSource);
        AssertValidAndGenerated(id.StartsWith("TG1", System.StringComparison.Ordinal) ? new R2P2ServiceGenerator() : new TrustDomainGenerator(), fixedSource);
    }

    [Theory]
    [InlineData("TG1013", "[R2P2Service] public interface IService { void Call([R2P2MaxLength(4)] int value); }", "[R2P2Service] public interface IService { void Call(int value); }")]
    [InlineData("TG1013", "[R2P2Service] public interface IService { [return: R2P2MaxLength(8)] int Call(); }", "[R2P2Service] public interface IService { int Call(); }")]
    [InlineData("TG2010", "[TrustDomain] public interface IDomain { void Call([Bounded(4)] int value); }", "[TrustDomain] public interface IDomain { void Call(int value); }")]
    public async Task A_bound_on_a_fixed_size_value_is_removed(string id, string source, string expected)
    {
        string fixedSource = await FixAsync(new RemoveMisplacedBoundCodeFix(), id, Usings + source);

        Assert.Equal(Usings + expected, fixedSource);
        AssertValidAndGenerated(id.StartsWith("TG1", System.StringComparison.Ordinal) ? new R2P2ServiceGenerator() : new TrustDomainGenerator(), fixedSource);
    }

    [Theory]
    [InlineData("TG1013", "[R2P2Service] public interface IService { void Call([R2P2MaxLength(-1)] string value); }")]
    [InlineData("TG2010", "[TrustDomain] public interface IDomain { void Call([Bounded(0)] ReadOnlySpan<byte> value); }")]
    public async Task A_wrong_bound_on_a_string_or_span_gets_no_fix(string id, string source)
        => Assert.Empty(await ActionsAsync(new RemoveMisplacedBoundCodeFix(), id, Usings + source));

    private static void AssertValidAndGenerated(IIncrementalGenerator generator, string source)
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(generator, source);
        Assert.Empty(diagnostics);
        Assert.NotEmpty(run.GeneratedTrees);
    }

    private static async Task<string> FixAsync(CodeFixProvider fix, string id, string source)
    {
        var (actions, document) = await RegisterAsync(fix, id, source);
        CodeAction action = Assert.Single(actions);
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        Solution changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    private static async Task<List<CodeAction>> ActionsAsync(CodeFixProvider fix, string id, string source) => (await RegisterAsync(fix, id, source)).Actions;

    private static async Task<(List<CodeAction> Actions, Document Document)> RegisterAsync(CodeFixProvider fix, string id, string source)
    {
        var workspace = new AdhocWorkspace();
        Project project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Default,
            "Contracts",
            "Contracts",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References));
        Document document = workspace.AddDocument(project.Id, "Contract.cs", SourceText.From(source));
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        Diagnostic diagnostic = GeneratorHarness.ContractDiagnostics(compilation).First(d => d.Id == id);
        Assert.Contains(id, fix.FixableDiagnosticIds);

        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        return (actions, document);
    }
}
