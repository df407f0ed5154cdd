using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>The pipeline caches: unrelated edits regenerate nothing, and editing one service regenerates only that one.</summary>
public class IncrementalCachingTests
{
    private static readonly string[] OurSteps = { R2P2TrackingNames.Parse, R2P2TrackingNames.Model, R2P2TrackingNames.ReplicationReferenced, R2P2TrackingNames.Emitted };

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree unrelated = trees["Unrelated"];

        Compilation edited = compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(SourceText.From("namespace Other; public class Plain { public int Value() => 2; }")));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        GeneratorHarness.AssertNothingRegenerated(result, OurSteps);
    }

    [Fact]
    public void Editing_one_service_regenerates_only_that_service()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree keyValue = trees["KeyValue"];
        string changed = ServiceSources.KeyValue.Replace("bool Delete(ReadOnlySpan<byte> key);", "bool Delete(ReadOnlySpan<byte> key);\n    long Count();", StringComparison.Ordinal);

        Compilation edited = compilation.ReplaceSyntaxTree(keyValue, keyValue.WithChangedText(SourceText.From(changed)));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var models = result.TrackedSteps[R2P2TrackingNames.Model].SelectMany(r => r.Outputs).ToList();
        Assert.Equal(3, models.Count);
        var regenerated = models.Where(o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New).ToList();
        var model = Assert.IsType<TailGuard.Generators.R2P2.Model.ServiceModel>(Assert.Single(regenerated).Value);
        Assert.Equal("KeyValueClient", model.ClientName);
        Assert.Contains(model.Methods, m => m.Name == "Count");

        var sourceOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs).ToList();
        Assert.Single(sourceOutputs, o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
    }

    [Fact]
    public void A_comment_edit_in_a_service_file_reparses_but_leaves_the_model_unchanged()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree keyValue = trees["KeyValue"];
        string changed = ServiceSources.KeyValue.Replace("int Get(", "// a new comment\n    int Get(", StringComparison.Ordinal);

        Compilation edited = compilation.ReplaceSyntaxTree(keyValue, keyValue.WithChangedText(SourceText.From(changed)));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var parsed = result.TrackedSteps[R2P2TrackingNames.Parse].SelectMany(r => r.Outputs).ToList();
        Assert.Contains(parsed, o => o.Reason == IncrementalStepRunReason.Unchanged);
        Assert.All(result.TrackedSteps[R2P2TrackingNames.Model].SelectMany(r => r.Outputs), o =>
            Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"model was {o.Reason}"));
    }

    [Fact]
    public void A_type_declared_in_another_file_that_takes_a_generated_name_stops_generation_on_the_next_run()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree unrelated = trees["Unrelated"];

        // KeyValueClient is generated for Samples.Store.IKeyValue; a user class of that name appears in another file.
        Compilation edited = compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(SourceText.From("namespace Samples.Store; public sealed class KeyValueClient { }")));
        GeneratorDriverRunResult result = driver.RunGenerators(edited).GetRunResult();

        Assert.DoesNotContain(result.GeneratedTrees, t => t.FilePath.EndsWith("Samples.Store.IKeyValue.R2P2.g.cs", StringComparison.Ordinal));
        Assert.Equal(2, result.GeneratedTrees.Length);
        Assert.Contains(GeneratorHarness.ContractDiagnostics(edited), d => d.Id == "TG1015");
    }

    private static (Compilation Compilation, GeneratorDriver Driver, Dictionary<string, SyntaxTree> Trees) FirstRun()
    {
        var trees = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
        foreach ((string name, string source) in ServiceSources.All)
        {
            trees[name] = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: name + ".cs");
        }

        trees["Unrelated"] = CSharpSyntaxTree.ParseText("namespace Other; public class Plain { public int Value() => 1; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs");
        // A service with an error: it parses to no model, a value whose caching is checked too.
        trees["Broken"] = CSharpSyntaxTree.ParseText("using TailGuard;\nnamespace Broken;\n[R2P2Service] public interface IBroken { object A(); }", GeneratorHarness.ParseOptions, path: "Broken.cs");
        Compilation compilation = GeneratorHarness.Compile(trees.Values.ToArray());
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new R2P2ServiceGenerator()).RunGenerators(compilation);
        Assert.Equal(3, driver.GetRunResult().GeneratedTrees.Length);
        return (compilation, driver, trees);
    }
}
