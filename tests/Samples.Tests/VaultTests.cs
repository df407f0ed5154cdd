using System.Threading.Tasks;

namespace TailGuard.Samples.Tests;

/// <summary><c>samples/Vault</c> takes no arguments but <c>--help</c>.</summary>
public sealed class VaultTests
{
    private static readonly SampleProgram s_sample = SampleProgram.Vault;

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_usage_and_runs_nothing(string argument)
    {
        var run = await s_sample.RunAsync(argument);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("usage: Vault", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.DoesNotContain("measurement", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unexpected argument 'now'", "now")]
    public async Task A_bad_argument_exits_2_with_one_line_naming_it(string message, params string[] arguments)
    {
        var run = await s_sample.RunAsync(arguments);

        run.AssertFailedInOneLine(2, message);
        Assert.StartsWith($"Vault: {message}", run.ErrorLines[0], System.StringComparison.Ordinal); // the program's name once
        Assert.DoesNotContain("measurement", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_arguments_every_check_holds_and_it_exits_0()
    {
        var run = await s_sample.RunAsync();

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("attestation signature valid for our nonce: True", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains("refused (AccessDenied)", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorLines);
    }
}
