using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
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
        string received = generated.GetText().ToString();

        string directory = Path.Combine(TestDirectory(), "Golden");
        string verifiedPath = Path.Combine(directory, contract + ".verified.cs");
        string receivedPath = Path.Combine(directory, contract + ".received.cs");
        if (Environment.GetEnvironmentVariable("TAILGUARD_ACCEPT_GOLDEN") == "1")
        {
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }

        string verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : string.Empty;
        if (verified != received)
        {
            File.WriteAllText(receivedPath, received);
            Assert.Fail($"The generated boundary for {contract} differs from {verifiedPath}; see {receivedPath}. Re-accept with TAILGUARD_ACCEPT_GOLDEN=1 if the change is intended.");
        }

        File.Delete(receivedPath);
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

    private static string TestDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(Path.GetDirectoryName(path))!;
}
