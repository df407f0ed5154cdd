using System;
using System.Linq;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.Regressions;

/// <summary>The code generated for each regression contract is kept as a golden file (both generators, in hint-name order).</summary>
public sealed class RegressionGoldenFileTests
{
    public static TheoryData<string> Contracts => new(RegressionSources.All.Keys);

    [Theory]
    [MemberData(nameof(Contracts))]
    public void Generated_source_matches_its_golden_file(string contract)
    {
        var (_, r2p2Diagnostics, r2p2) = GeneratorHarness.Run(new R2P2ServiceGenerator(), RegressionSources.All[contract]);
        var (_, boundaryDiagnostics, boundary) = GeneratorHarness.Run(new TrustDomainGenerator(), RegressionSources.All[contract]);
        Assert.Empty(r2p2Diagnostics);
        Assert.Empty(boundaryDiagnostics);

        var sources = r2p2.Results.Concat(boundary.Results).SelectMany(r => r.GeneratedSources).OrderBy(s => s.HintName, StringComparer.Ordinal).ToList();
        Assert.NotEmpty(sources);
        GeneratorHarness.MatchGolden(contract, string.Join("\n", sources.Select(s => "// hint name: " + s.HintName + "\n" + s.SourceText)));
    }
}
