using System;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;

namespace TailGuard.Tool.Tests;

/// <summary>
/// The defaults and accepted values docs/router.md and docs/load.md promise for <c>tailguard router</c> and
/// <c>tailguard load</c>, read as an outsider would: each command's help states the documented default of every
/// option the documents name one for, each documented spelling of <c>--policy</c> runs, and values outside an option's
/// range are one-line usage errors (exit 2) before any server is contacted.
/// </summary>
public sealed class DocumentedDefaultsTests
{
    [Theory]
    [InlineData("--policy", "jbsq:2")]            // router.md, "Policies"
    [InlineData("--queue", "4096")]               // router.md, "Overload"
    [InlineData("--queue-timeout", "1s")]
    [InlineData("--max-outstanding", "16384")]
    [InlineData("--feedback-timeout", "1s")]      // router.md, "What FEEDBACK does"
    [InlineData("--feedback-port", "the request port")]
    [InlineData("--receive-mode", "blocking")]    // the router's own default (R2P2RouterOptions.ReceiveMode), not the runtime's
    public async Task Router_help_states_the_documented_default(string option, string value)
        => Assert.Equal(value, Default(await HelpAsync("router"), option));

    [Theory]
    [InlineData("--max-in-flight", "4096")]       // load.md, "The method"
    [InlineData("--connections", "4")]
    [InlineData("--latency-connections", "2")]
    [InlineData("--threads", "1")]
    [InlineData("--sender-spin", "50us")]         // "The sending thread"
    [InlineData("--sender-priority", "high")]
    [InlineData("--send-batch", "1")]             // "Batched sends"
    [InlineData("--send-window", "0us")]
    [InlineData("--rate-tolerance", "10%")]       // "Self-checks"
    [InlineData("--significance", "0.01")]
    [InlineData("--independence-p", "1e-10")]
    [InlineData("--max-lateness", "100us")]
    [InlineData("--ci-percentile", "99")]
    [InlineData("--distribution", "exponential")]
    public async Task Load_help_states_the_documented_default(string option, string value)
        => Assert.Equal(value, Default(await HelpAsync("load"), option));

    [Fact]
    public async Task Load_help_says_its_loops_block_at_low_rates_as_documented()
    {
        // load.md, "The sending thread": blocking up to 20k/s with kernel timestamps, adaptive otherwise; not "the runtime's default" (adaptive).
        var value = Default(await HelpAsync("load"), "--receive-mode");
        Assert.StartsWith("blocking", value, StringComparison.Ordinal);
        Assert.Contains("20k", value, StringComparison.Ordinal);
        Assert.Contains("adaptive", value, StringComparison.Ordinal);
    }

    [RouterTheory]
    [InlineData("jbsq:1", "jbsq:1")]
    [InlineData("jbsq:2", "jbsq:2")]
    [InlineData("jsq", "jsq")]
    [InlineData("round-robin", "round-robin")]
    [InlineData("rr", "round-robin")]
    [InlineData("random", "random")]
    [InlineData("fixed", "fixed")]
    public async Task Every_documented_policy_spelling_runs_the_router_with_that_policy(string given, string shown)
    {
        var result = await ToolRun.InProcessAsync("router", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--no-probe", "--policy", given, "--duration", "1ms");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"; policy {shown};", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--queue: '-1' is not a whole number from 0 to 1048576", "router", "--queue", "-1")]
    [InlineData("--queue: '1048577' is not a whole number", "router", "--queue", "1048577")]
    [InlineData("--max-outstanding: '0' is not a whole number", "router", "--max-outstanding", "0")]
    [InlineData("--queue-timeout must be longer than 0", "router", "--queue-timeout", "0s")]
    [InlineData("--feedback-port: '65536' is not a whole number", "router", "--feedback-port", "65536")]
    [InlineData("--policy: 'jbsq:x': JBSQ needs its bound", "router", "--policy", "jbsq:x")]
    [InlineData("--policy: 'jbsq:-2': JBSQ needs its bound", "router", "--policy", "jbsq:-2")]
    [InlineData("--seed: '-5' is not a whole number", "router", "--seed", "-5")]
    public async Task Router_values_out_of_range_are_usage_errors(string message, params string[] args)
        => AssertUsageError(message, await ToolRun.InProcessAsync([.. args, "--server", "127.0.0.1:9", "--listen", "127.0.0.1:0", "--no-probe", "--duration", "1ms"]));

    [Theory]
    [InlineData("--rates: '0' is not a rate", "--rates", "1k,0")]
    [InlineData("--sweep: '0%..90%' is not a range", "--sweep", "0%..90%")]
    [InlineData("--sweep: '90%..10%' is not a range", "--sweep", "90%..10%")]
    [InlineData("--sweep: '10%..90%:0%' is not a range", "--sweep", "10%..90%:0%")]
    [InlineData("--percentiles: '100' is not a percentile", "--rates", "1k", "--percentiles", "50,100")]
    [InlineData("--significance: '0.5' is not a significance from 0.001 to 0.25", "--rates", "1k", "--significance", "0.5")]
    [InlineData("--independence-p: '1' is not a p-value", "--rates", "1k", "--independence-p", "1")]
    [InlineData("--rate-tolerance: '0%' is not a percentage", "--rates", "1k", "--rate-tolerance", "0%")]
    [InlineData("--ci-percentile: '100' is not one percentile", "--rates", "1k", "--ci-percentile", "100")]
    [InlineData("--ci-width: '0us' must be positive", "--rates", "1k", "--ci-width", "0us")]
    [InlineData("--ci-width applies to local runs", "--rates", "1k", "--ci-width", "5%", "--agents", "127.0.0.1:9")]
    [InlineData("--max-in-flight must allow at least one request per connection", "--rates", "1k", "--max-in-flight", "3")]
    [InlineData("--threads cannot exceed --connections", "--rates", "1k", "--threads", "5")]
    [InlineData("--max-lateness must be positive", "--rates", "1k", "--max-lateness", "0us")]
    [InlineData("--distribution: 'poisson' is not one of exponential, fixed, uniform", "--rates", "1k", "--distribution", "poisson")]
    [InlineData("r2p2 targets are IPv4 in this version of TailGuard", "--rates", "1k", "--target", "r2p2://[::1]:9")]
    [InlineData("udp targets are IPv4 in this version of TailGuard", "--rates", "1k", "--target", "udp://[::1]:9")]
    public async Task Load_values_out_of_range_are_usage_errors_before_the_target_is_probed(string message, params string[] args)
    {
        // A server that never answers: reaching the probe would print the machine line and fail with exit 1 instead.
        using var silent = Servers.BlackHole();
        AssertUsageError(message, await ToolRun.InProcessAsync(["load", "--target", $"r2p2://{silent.LocalAddress}", .. args]));
    }

    private static void AssertUsageError(string message, ToolResult result)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(2, result.ErrorLines.Length);
        Assert.Contains(message, result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("--help' for usage", result.ErrorLines[1], StringComparison.Ordinal);
        Assert.True(result.Output.Length == 0, result.ToString());
        Assert.True(result.HasNoStackTrace, result.ToString());
    }

    private static async Task<string> HelpAsync(string command)
    {
        var result = await ToolRun.InProcessAsync(command, "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output;
    }

    /// <summary>What an option's help line gives in its "[default: ...]" (the help wraps nothing: one line per option).</summary>
    private static string Default(string help, string option)
    {
        var line = help.ReplaceLineEndings("\n").Split('\n').SingleOrDefault(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no help line for {option}:\n{help}");
        const string marker = "[default: ";
        var start = line.LastIndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{option} states no default: {line}");
        return line[(start + marker.Length)..].TrimEnd().TrimEnd(']');
    }
}
