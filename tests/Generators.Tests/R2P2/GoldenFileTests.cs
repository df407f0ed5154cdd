using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// The generated source for each representative interface must equal its checked-in golden file. Set
/// TAILGUARD_ACCEPT_GOLDEN=1 to re-accept; otherwise a mismatch fails and leaves a *.received.cs beside the golden file.
/// </summary>
public class GoldenFileTests
{
    public static TheoryData<string> Services => new(ServiceSources.All.Keys.OrderBy(k => k, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Services))]
    public void Generated_source_matches_its_golden_file(string service)
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), ServiceSources.All[service]);
        Assert.Empty(diagnostics);
        SyntaxTree generated = Assert.Single(run.GeneratedTrees);
        GeneratorHarness.MatchGolden(service, generated.GetText().ToString());
    }

    [Fact]
    public void Generated_source_is_identical_across_runs()
    {
        string first = GeneratorHarness.Run(new R2P2ServiceGenerator(), ServiceSources.AllTypes).Run.GeneratedTrees[0].GetText().ToString();
        string second = GeneratorHarness.Run(new R2P2ServiceGenerator(), ServiceSources.AllTypes).Run.GeneratedTrees[0].GetText().ToString();

        Assert.Equal(first, second);
    }

    [Fact]
    public void Hint_names_keep_namespace_and_containing_types_apart()
    {
        var run = GeneratorHarness.Run(new R2P2ServiceGenerator(), ServiceSources.All.Values.ToArray()).Run;

        string[] hints = run.Results[0].GeneratedSources.Select(s => s.HintName).OrderBy(h => h, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Outer_00601+Inner+Clock.R2P2.g.cs", "Samples.Store.IKeyValue.R2P2.g.cs", "Samples.Types.IEverything.R2P2.g.cs" }, hints);
    }
}
