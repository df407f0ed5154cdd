using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Analyzers.Determinism;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// TG5010 (docs/diagnostics/TG5010.md): a replicated contract in a compilation without TailGuard.Replication generates
/// nothing, so the user sees that one error and no compiler errors in generated code; adding the reference generates
/// it on the next run, and the check regenerates nothing on unrelated edits.
/// </summary>
public sealed class ReplicationReferenceTests
{
    private const string Contracts = """
        using TailGuard;
        namespace Shop;
        [R2P2Service(Replicated = true)]
        public interface ICounter
        {
            long Add(long amount);
            [ReadOnly] long Read();
        }

        [R2P2Service]
        public interface IPlain { long Get(long key); }
        """;

    // What the generator looks for, declared in source: the generated replicated code is compiled against the real
    // TailGuard.Replication by Replication.Tests and the samples; here only the presence of the type matters.
    private const string ReplicationStandIn = """
        namespace TailGuard.Replication;
        public interface IReplicatedService { }
        """;

    [Fact]
    public void Without_TailGuard_Replication_the_replicated_contract_generates_nothing_and_TG5010_is_the_only_error()
    {
        CSharpCompilation input = GeneratorHarness.Compile(Contracts);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new R2P2ServiceGenerator()).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        SyntaxTree generated = Assert.Single(driver.GetRunResult().GeneratedTrees);
        Assert.EndsWith("Shop.IPlain.R2P2.g.cs", generated.FilePath, StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.Problems(output)); // no CS0234/CS0246 from code that names TailGuard.Replication

        Diagnostic reported = Assert.Single(ReplicatedContractDiagnostics(output));
        Assert.Equal(("TG5010", DiagnosticSeverity.Error), (reported.Id, reported.Severity));
        Assert.Equal("R2P2Service(Replicated = true)", reported.Location.SourceTree!.GetText().ToString(reported.Location.SourceSpan));
    }

    [Fact]
    public void With_TailGuard_Replication_the_replicated_contract_is_generated_and_TG5010_is_not_reported()
    {
        CSharpCompilation input = GeneratorHarness.Compile(Contracts, ReplicationStandIn);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new R2P2ServiceGenerator()).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);

        var trees = driver.GetRunResult().GeneratedTrees;
        Assert.Equal(2, trees.Length);
        SyntaxTree counter = Assert.Single(trees, t => t.FilePath.EndsWith("Shop.ICounter.R2P2.g.cs", StringComparison.Ordinal));
        Assert.Contains("global::TailGuard.Replication.IReplicatedService", counter.GetText().ToString(), StringComparison.Ordinal);
        Assert.Empty(ReplicatedContractDiagnostics(output));
    }

    [Fact]
    public void Adding_the_reference_generates_the_contract_on_the_next_run_and_unrelated_edits_then_regenerate_nothing()
    {
        SyntaxTree contracts = CSharpSyntaxTree.ParseText(Contracts, GeneratorHarness.ParseOptions, path: "Contracts.cs");
        SyntaxTree unrelated = CSharpSyntaxTree.ParseText("namespace Other; public class Plain { public int Value() => 1; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs");
        Compilation compilation = GeneratorHarness.Compile(contracts, unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new R2P2ServiceGenerator()).RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().GeneratedTrees);

        compilation = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(ReplicationStandIn, GeneratorHarness.ParseOptions, path: "StandIn.cs"));
        driver = driver.RunGenerators(compilation);
        Assert.Contains(driver.GetRunResult().GeneratedTrees, t => t.FilePath.EndsWith("Shop.ICounter.R2P2.g.cs", StringComparison.Ordinal));
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        compilation = compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(SourceText.From("namespace Other; public class Plain { public int Value() => 2; }")));
        GeneratorRunResult result = driver.RunGenerators(compilation).GetRunResult().Results.Single();
        GeneratorHarness.AssertNothingRegenerated(result, [R2P2TrackingNames.Parse, R2P2TrackingNames.Model, R2P2TrackingNames.ReplicationReferenced, R2P2TrackingNames.Emitted]);
    }

    private static ImmutableArray<Diagnostic> ReplicatedContractDiagnostics(Compilation compilation)
        => compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ReplicatedContractAnalyzer()))
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();
}
