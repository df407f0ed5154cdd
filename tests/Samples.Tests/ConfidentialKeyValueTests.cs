using System.Threading.Tasks;

namespace TailGuard.Samples.Tests;

/// <summary><c>samples/ConfidentialKeyValue</c>: help, every bad argument, and a small checked run.</summary>
public sealed class ConfidentialKeyValueTests
{
    private static readonly SampleProgram s_sample = SampleProgram.ConfidentialKeyValue;

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("--operations", "5", "--help")]
    public async Task Help_prints_the_usage_and_runs_nothing(params string[] arguments)
    {
        var run = await s_sample.RunAsync(arguments);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("usage: ConfidentialKeyValue", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.DoesNotContain("trust domain", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorLines);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unknown option '--server'", "--server", "127.0.0.1:9100")]
    [InlineData("unexpected argument 'run'", "run")]
    [InlineData("--keys needs a value", "--keys")]
    [InlineData("--seed is given twice", "--seed", "1", "--seed", "2")]
    [InlineData("--concurrency must be a whole number from 1 to 1024 (got '0')", "--concurrency", "0")]
    [InlineData("--value-size must be a whole number from 0 to 1024 (got '5000')", "--value-size", "5000")]
    [InlineData("--get-fraction must be a number from 0 to 1 (got '-0.1')", "--get-fraction", "-0.1")]
    [InlineData("--timeout-ms must be a whole number from 1 to 600000 (got 'soon')", "--timeout-ms", "soon")]
    [InlineData("--loops must be a whole number from 1 to 4 (got '5')", "--loops", "5")]
    [InlineData("--client-spin-us must be a whole number from 0 to 1000 (got '1001')", "--client-spin-us", "1001")]
    [InlineData("--server-spin-us must be a whole number from 0 to 1000 (got 'fast')", "--server-spin-us", "fast")]
    public async Task A_bad_argument_exits_2_with_one_line_naming_it(string message, params string[] arguments)
    {
        var run = await s_sample.RunAsync(arguments);

        run.AssertFailedInOneLine(2, message);
        Assert.StartsWith($"ConfidentialKeyValue: {message}", run.ErrorLines[0], System.StringComparison.Ordinal); // the program's name once
        Assert.DoesNotContain("trust domain", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_run_reads_back_every_value_and_exits_0()
    {
        // 2000 keys but 150 operations: the preload is bounded by the operations, and every get is still checkable.
        var run = await s_sample.RunAsync("--operations", "150", "--keys", "2000");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("keys stored 150;", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains("0 mismatches, 0 errors", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains("result: ok", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_loops_that_never_spin_still_read_back_every_value_and_report_the_lock_contentions()
    {
        var run = await s_sample.RunAsync("--operations", "150", "--keys", "100", "--client-spin-us", "0", "--server-spin-us", "0");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("0 mismatches, 0 errors", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Matches(@"lock contentions \d+ \(Monitor\.LockContentionCount", run.StandardOutput);
        Assert.Contains("result: ok", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_loop_runs_the_server_on_one_receive_loop_and_the_domain_on_one_core()
    {
        var run = await s_sample.RunAsync("--operations", "150", "--keys", "100", "--loops", "1");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("1 receive loop, 1 domain core", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains("result: ok", run.StandardOutput, System.StringComparison.Ordinal);
    }
}
