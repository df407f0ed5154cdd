using System.Globalization;
using System.Threading.Tasks;

namespace TailGuard.Samples.Tests;

/// <summary><c>samples/KeyValue</c>: help, every bad argument, socket errors and servers that never answer.</summary>
public sealed class KeyValueTests
{
    private static readonly SampleProgram s_sample = SampleProgram.KeyValue;

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    [InlineData("run", "--help")]
    [InlineData("serve", "--help")]
    public async Task Help_prints_the_usage_and_runs_nothing(params string[] arguments)
    {
        var run = await s_sample.RunAsync(arguments);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("usage:", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.DoesNotContain("workload:", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Empty(run.ErrorLines);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("unknown option '--port'", "run", "--port", "1")]
    [InlineData("unknown option '--operations'", "serve", "--operations", "1")]
    [InlineData("unexpected argument 'extra'", "run", "extra")]
    [InlineData("unknown command 'launch'", "launch")]
    [InlineData("--operations needs a value", "--operations")]
    [InlineData("--operations is given twice", "--operations", "5", "--operations", "6")]
    [InlineData("--operations must be a whole number from 1 to 100000000 (got '0')", "--operations", "0")]
    [InlineData("--operations must be a whole number from 1 to 100000000 (got 'many')", "--operations", "many")]
    [InlineData("--get-fraction must be a number from 0 to 1 (got '1.5')", "--get-fraction", "1.5")]
    [InlineData("--value-size must be a whole number from 0 to 4096 (got '5000')", "--value-size", "5000")]
    [InlineData("--timeout-ms must be a whole number from 1 to 600000 (got '0')", "--timeout-ms", "0")]
    [InlineData("--server must be HOST:PORT", "--server", "127.0.0.1")]
    [InlineData("--server must be HOST:PORT", "--server", "127.0.0.1:0")]
    [InlineData("--port must be a whole number from 1 to 65535 (got '70000')", "serve", "--port", "70000")]
    public async Task A_bad_argument_exits_2_with_one_line_naming_it(string message, params string[] arguments)
    {
        var run = await s_sample.RunAsync(arguments);

        run.AssertFailedInOneLine(2, message);
        Assert.DoesNotContain("workload:", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_the_run_after_three_timeouts_with_exit_1()
    {
        using var silent = new SilentPort();
        string server = "127.0.0.1:" + silent.Port.ToString(CultureInfo.InvariantCulture);

        // 100 000 operations at 1 s each would take a day; the run must stop at the third timeout in a row.
        var run = await s_sample.RunAsync("--server", server, "--timeout-ms", "1000", "--operations", "100000");

        run.AssertFailedInOneLine(1, $"no answer from {server}: 3 calls in a row timed out after 1000 ms each");
    }

    [Fact]
    public async Task A_port_nobody_listens_on_fails_the_same_way()
    {
        string server = "127.0.0.1:" + SilentPort.Unused().ToString(CultureInfo.InvariantCulture);

        var run = await s_sample.RunAsync("--server", server, "--timeout-ms", "200");

        run.AssertFailedInOneLine(1, $"no answer from {server}");
    }

    [Fact]
    public async Task Serving_on_a_port_in_use_exits_1_with_one_line()
    {
        using var taken = new SilentPort();

        var run = await s_sample.RunAsync("serve", "--port", taken.Port.ToString(CultureInfo.InvariantCulture));

        run.AssertFailedInOneLine(1, "the address is already in use");
    }

    [Fact]
    public async Task A_small_workload_against_its_own_server_succeeds()
    {
        var run = await s_sample.RunAsync("--operations", "300", "--keys", "50", "--concurrency", "3");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("operations  300 (", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains(", 0 errors,", run.StandardOutput, System.StringComparison.Ordinal);
        Assert.Contains("keys stored 50", run.StandardOutput, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_preload_is_bounded_by_the_operations_asked_for()
    {
        // 1000 keys but 20 operations: at most 20 puts preload the store (it used to put every key first).
        var run = await s_sample.RunAsync("--operations", "20", "--keys", "1000", "--get-fraction", "1");

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("keys stored 20", run.StandardOutput, System.StringComparison.Ordinal);
    }
}
