using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.TrustDomain;

/// <summary>
/// The generated boundary for each representative contract equals its golden file (Golden/Boundary.*.verified.cs), and
/// compiles without a warning. TAILGUARD_ACCEPT_GOLDEN=1 re-accepts, as for the R2P2 generator.
/// </summary>
public class BoundaryGoldenFileTests
{
    public static TheoryData<string> Contracts => new(BoundarySources.All.Keys);

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Generated_boundary_matches_its_golden_file(string contract)
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), BoundarySources.All[contract]);
        Assert.All(diagnostics, d => Assert.Equal("TG2009", d.Id)); // the [UserCheck] warning is the only one expected
        SyntaxTree generated = Assert.Single(run.GeneratedTrees);
        GeneratorHarness.MatchGolden(contract, generated.GetText().ToString());
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Generated_boundary_compiles_without_warnings(string contract)
    {
        var (output, diagnostics, _) = GeneratorHarness.Run(new TrustDomainGenerator(), BoundarySources.All[contract]);
        Assert.All(diagnostics, d => Assert.Equal("TG2009", d.Id));
        var problems = GeneratorHarness.Problems(output).Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Generated_boundary_is_identical_across_runs_and_hint_names_stay_apart()
    {
        string[] sources = BoundarySources.All.Values.ToArray();
        var first = GeneratorHarness.Run(new TrustDomainGenerator(), sources).Run.Results[0].GeneratedSources;
        var second = GeneratorHarness.Run(new TrustDomainGenerator(), sources).Run.Results[0].GeneratedSources;
        Assert.Equal(first.Select(s => s.SourceText.ToString()), second.Select(s => s.SourceText.ToString()));
        Assert.Equal(
            new[] { "Outer+IHostServices.HostCalls.g.cs", "Samples.Boundary.IEverything.TrustDomain.g.cs", "Samples.Vault.IVault.TrustDomain.g.cs" },
            first.Select(s => s.HintName).OrderBy(h => h, StringComparer.Ordinal).ToArray());
    }
}
