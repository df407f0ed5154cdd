using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Generators.Tests.Infrastructure;
using static TailGuard.Generators.Tests.Infrastructure.ModelPurity;
using TailGuard.Generators.TrustDomain;
using TailGuard.Generators.TrustDomain.Model;

namespace TailGuard.Generators.Tests.TrustDomain;

/// <summary>
/// The boundary pipeline caches (an unrelated edit regenerates nothing; editing one contract regenerates only it), and
/// its values hold no symbol, syntax, compilation or location.
/// </summary>
public class BoundaryCachingAndPurityTests
{
    private static readonly string[] ModelSteps = { TrustDomainTrackingNames.TrustDomainModel, TrustDomainTrackingNames.HostCallsModel };
    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree unrelated = trees["Unrelated"];
        Compilation edited = compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(SourceText.From("namespace Other; public class Plain { public int Value() => 2; }")));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        GeneratorHarness.AssertNothingRegenerated(result, ModelSteps.Append(TrustDomainTrackingNames.ParseTrustDomain).Append(TrustDomainTrackingNames.ParseHostCalls));
    }

    [Fact]
    public void Editing_one_contract_regenerates_only_that_contract()
    {
        var (compilation, driver, trees) = FirstRun();
        SyntaxTree vault = trees["Boundary.Vault"];
        string changed = BoundarySources.Vault.Replace("int Sign(", "long Count();\n    int Sign(", StringComparison.Ordinal);
        Compilation edited = compilation.ReplaceSyntaxTree(vault, vault.WithChangedText(SourceText.From(changed)));
        GeneratorRunResult result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var models = result.TrackedSteps[TrustDomainTrackingNames.TrustDomainModel].SelectMany(r => r.Outputs).ToList();
        var regenerated = models.Where(o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New).ToList();
        var model = Assert.IsType<BoundaryModel>(Assert.Single(regenerated).Value);
        Assert.Equal("Vault", model.BaseName);
        Assert.Contains(model.Methods, m => m.Name == "Count");
        var sourceOutputs = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs).ToList();
        Assert.Single(sourceOutputs, o => o.Reason is IncrementalStepRunReason.Modified or IncrementalStepRunReason.New);
    }

    [Fact]
    public void No_value_produced_by_a_run_holds_a_compilation_object()
    {
        string broken = "using TailGuard;\n[TrustDomain] public interface IBroken { object A(); }";
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), BoundarySources.All.Values.Append(broken).ToArray());
        Assert.Contains(diagnostics, d => d.Id == "TG2004");

        var problems = new List<string>();
        int values = 0;
        foreach (var step in run.Results.Single().TrackedSteps.Where(s => s.Key.StartsWith("TrustDomain.", StringComparison.Ordinal) || s.Key.StartsWith("HostCalls.", StringComparison.Ordinal)))
        {
            foreach (var output in step.Value.SelectMany(r => r.Outputs))
            {
                values++;
                WalkValue(output.Value, step.Key, new HashSet<object>(ReferenceEqualityComparer.Instance), problems);
            }
        }

        Assert.True(values >= 6, $"only {values} values were tracked");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void No_field_of_the_model_types_is_a_compilation_object_or_untyped()
    {
        var problems = new List<string>();
        var visited = new HashSet<Type>();
        WalkType(typeof(BoundaryParseResult), "BoundaryParseResult", visited, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains(typeof(BoundaryParameter), visited);
    }

    private static (Compilation Compilation, GeneratorDriver Driver, Dictionary<string, SyntaxTree> Trees) FirstRun()
    {
        var trees = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
        foreach ((string name, string source) in BoundarySources.All)
        {
            trees[name] = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: name + ".cs");
        }

        trees["Unrelated"] = CSharpSyntaxTree.ParseText("namespace Other; public class Plain { public int Value() => 1; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs");
        Compilation compilation = GeneratorHarness.Compile(trees.Values.ToArray());
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new TrustDomainGenerator()).RunGenerators(compilation);
        Assert.Equal(3, driver.GetRunResult().GeneratedTrees.Length);
        return (compilation, driver, trees);
    }
}
