using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// The README's demo command, run as a user runs it (a Release build of the sample and a smaller workload). In the
/// packed-packages collection so its Release build of the runtime never overlaps the fixture's pack of it.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class ConfidentialKeyValueDemoTests
{
    [Fact]
    public async Task The_demo_verifies_its_attestation_serves_every_call_and_exits_zero()
    {
        var run = await DotNetCli.RunAsync(
            RepositoryRoot.Path,
            "run", "--project", "samples/ConfidentialKeyValue", "-c", "Release", "--", "--operations", "4000", "--keys", "200");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Matches(new Regex(@"measurement [0-9A-F]{64}\b"), run.Output);
        Assert.Contains("attestation report verifies (monitor signature, measurement, our nonce): True", run.Output, System.StringComparison.Ordinal);
        Assert.Contains("operations  4000 (", run.Output, System.StringComparison.Ordinal);
        Assert.Contains("0 mismatches, 0 errors", run.Output, System.StringComparison.Ordinal);
        Assert.Matches(new Regex(@"keys stored 200; at rest under key-000000: [0-9A-F]{64}\.\.\. \(92 bytes\)"), run.Output);
        Assert.Contains("refused 0", run.Output, System.StringComparison.Ordinal);
        Assert.Contains("result: ok", run.Output, System.StringComparison.Ordinal);
        // The progress display falls back to plain percentages when its output is redirected (as here): no carriage returns.
        Assert.Contains("workload 10% 20% 30% 40% 50% 60% 70% 80% 90% 100%", run.Output, System.StringComparison.Ordinal);
        Assert.DoesNotContain("\r", run.Output, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_rejects_a_bad_option_in_one_line_with_exit_code_2()
    {
        var run = await DotNetCli.RunAsync(
            RepositoryRoot.Path,
            "run", "--project", "samples/ConfidentialKeyValue", "-c", "Release", "--", "--value-size", "5000");

        // One line naming the problem (every other bad argument is covered in tests/Samples.Tests).
        Assert.Equal(2, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains("--value-size must be a whole number from 0 to 1024 (got '5000')", line, System.StringComparison.Ordinal);
    }
}
