using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tool.Commands.Cluster;
using TailGuard.Tool.Tests.Infrastructure;

namespace TailGuard.Tool.Tests;

/// <summary>
/// What the command line promises: --help everywhere, and every bad input (flags, values, targets, a port in use, a
/// server that does not answer) ends as one line on stderr and a nonzero exit code, never a stack trace or a hang.
/// </summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    [InlineData("ping", "--help")]
    [InlineData("load", "--help")]
    [InlineData("load", "-h")]
    public async Task Every_command_has_help(params string[] args)
    {
        var result = await ToolRun.InProcessAsync(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rates: '10q' is not a rate", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "10q")]
    [InlineData("--rates: '-5k' is not a rate", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "5k,-5k")]
    [InlineData("--sweep: '10%-90%' is not a range", "load", "--target", "r2p2://127.0.0.1:9000", "--sweep", "10%-90%")]
    [InlineData("unknown target kind 'http'", "load", "--target", "http://127.0.0.1:9000", "--rates", "1k")]
    [InlineData("is not HOST:PORT", "load", "--target", "r2p2://localhost", "--rates", "1k")]
    [InlineData("give exactly one of --rates", "load", "--target", "r2p2://127.0.0.1:9000")]
    [InlineData("give exactly one of --rates", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--sweep", "10%..90%")]
    [InlineData("at least one --target", "load", "--rates", "1k")]
    [InlineData("Unrecognized command or argument '--bogus'", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--bogus")]
    [InlineData("--duration: '5' is not a duration with a unit", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--duration", "5")]
    [InlineData("--latency-connections cannot exceed --connections", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--connections", "2", "--latency-connections", "3")]
    [InlineData("--plot: 'out.pdf' must end in .png or .svg", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--plot", "out.pdf")]
    [InlineData("--agent needs --listen", "load", "--agent")]
    [InlineData("--sender-spin must be at most 10ms", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--sender-spin", "20ms")]
    [InlineData("--send-window must be at most 10ms", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--send-window", "20ms")]
    [InlineData("--send-batch: '0' is not a whole number from 1 to 1024", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--send-batch", "0")]
    [InlineData("--send-batch: '2000' is not a whole number from 1 to 1024", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--send-batch", "2000")]
    [InlineData("--sender-priority: 'max' is not one of", "load", "--target", "r2p2://127.0.0.1:9000", "--rates", "1k", "--sender-priority", "max")]
    [InlineData("--spin-budget applies to --receive-mode adaptive only (not blocking)", "serve", "--listen", "127.0.0.1:0", "--receive-mode", "blocking", "--spin-budget", "5us")]
    [InlineData("--spin-budget must be at most 1s", "serve", "--listen", "127.0.0.1:0", "--spin-budget", "2s")]
    [InlineData("--answer: 'later' is not one of immediate, deferred", "serve", "--listen", "127.0.0.1:0", "--answer", "later")]
    [InlineData("--answer deferred and --service-time cannot be used together", "serve", "--listen", "127.0.0.1:0", "--answer", "deferred", "--service-time", "fixed:1ms")]
    [InlineData("--listen: '127.0.0.1' is not HOST:PORT", "serve", "--listen", "127.0.0.1")]
    [InlineData("--raw-udp and --grpc cannot be used together", "serve", "--raw-udp", "--grpc", "--listen", "127.0.0.1:0")]
    [InlineData("--receive-mode: 'sometimes' is not one of", "serve", "--receive-mode", "sometimes")]
    [InlineData("--count: '0' is not a whole number", "ping", "--count", "0")]
    [InlineData("--size: '2MiB' is not a size", "ping", "--size", "2MiB")]
    [InlineData("--parked-timeout must be longer than 0", "cluster", "node", "--members", "127.0.0.1:9000,127.0.0.1:9001,127.0.0.1:9002", "--id", "0", "--data", "unused", "--parked-timeout", "0ms")]
    [InlineData("--parked-timeout: '5' is not a duration with a unit", "cluster", "start", "--parked-timeout", "5")]
    [InlineData("--data: '/etc/passwd' is a file, not a folder", "cluster", "node", "--members", "127.0.0.1:9000", "--id", "0", "--data", "/etc/passwd")]
    [InlineData("--data: '/etc/passwd' is a file, not a folder", "cluster", "start", "--data", "/etc/passwd")]
    [InlineData("--multicast: '10.0.0.1:7200' is not an IPv4 multicast group", "cluster", "start", "--multicast", "10.0.0.1:7200")]
    [InlineData("--multicast: '239.1.2.3' is not HOST:PORT", "cluster", "node", "--members", "127.0.0.1:9000", "--id", "0", "--data", "unused", "--multicast", "239.1.2.3")]
    [InlineData("--multicast sends each call to every replica at once", "cluster", "bench", "--members", "127.0.0.1:9000", "--multicast", "239.1.2.3:7200", "--leader-only")]
    [InlineData("Required command was not provided", "")]
    [InlineData("Unrecognized command or argument 'launch'", "launch")]
    public async Task Bad_command_lines_are_one_line_usage_errors(string message, params string[] args)
    {
        var result = await ToolRun.InProcessAsync(Array.FindAll(args, a => a.Length > 0));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal(2, result.ErrorLines.Length);
        Assert.Contains(message, result.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("tailguard", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.Contains("--help' for usage", result.ErrorLines[1], StringComparison.Ordinal);
        Assert.True(result.HasNoStackTrace, result.ToString());
    }

    [Fact]
    public async Task Load_against_a_server_that_does_not_answer_fails_in_one_line()
    {
        using var silent = Servers.BlackHole();
        var result = await ToolRun.InProcessAsync("load", "--target", $"r2p2://{silent.LocalAddress}", "--rates", "1k");
        result.AssertFailedInOneLine(1, $"no response from r2p2://{silent.LocalAddress}");
    }

    [Fact]
    public async Task Load_refuses_an_output_it_cannot_write_before_it_measures_and_leaves_the_other_outputs_as_they_were()
    {
        // A target that never answers: had the outputs been checked after the probe, the error would be the probe's.
        using var silent = Servers.BlackHole();
        var folder = Directory.CreateTempSubdirectory("tg-load-outputs-");
        try
        {
            var kept = Path.Combine(folder.FullName, "kept.csv");
            File.WriteAllText(kept, "an earlier run");
            var fresh = Path.Combine(folder.FullName, "fresh.svg");
            var blocked = Directory.CreateDirectory(Path.Combine(folder.FullName, "run.json")).FullName; // a folder where the file would go

            var result = await ToolRun.InProcessAsync("load", "--target", $"r2p2://{silent.LocalAddress}", "--rates", "1k", "--csv", kept, "--json", blocked, "--plot", fresh);

            result.AssertFailedInOneLine(1, $"tailguard load: cannot write {blocked}");
            Assert.Equal("an earlier run", File.ReadAllText(kept));
            Assert.False(File.Exists(fresh), "the check left the file it made behind");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Cluster_bench_against_members_that_do_not_answer_fails_in_one_line_without_waiting_for_its_writes()
    {
        using var first = Servers.BlackHole();
        using var second = Servers.BlackHole();
        var members = $"{first.LocalAddress},{second.LocalAddress}";
        var result = await ToolRun.InProcessAsync("cluster", "bench", "--members", members, "--duration", "1s");
        result.AssertFailedInOneLine(1, $"tailguard cluster bench: no member said it leads within 10 s (tailguard cluster status --members {members})");
    }

    [Fact]
    public async Task Cluster_bench_against_a_member_without_a_majority_fails_in_one_line_without_waiting_for_its_writes()
    {
        // One member of three, alone: it answers status queries but can never lead, so no write could be taken.
        var members = FreePorts.Pick(IPAddress.Loopback, 3);
        var list = string.Join(',', members.Select(m => m.ToString()));
        var data = Directory.CreateTempSubdirectory("tg-bench-alone-");
        try
        {
            using (var alone = ToolProcess.Start(null, "cluster", "node", "--members", list, "--id", "0", "--data", data.FullName))
            {
                await alone.WaitForOutputAsync("listening on");
                var result = await ToolRun.InProcessAsync("cluster", "bench", "--members", list, "--duration", "1s");
                result.AssertFailedInOneLine(1, "tailguard cluster bench: no member said it leads within 10 s");
            }
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Load_against_an_unreachable_grpc_server_fails_in_one_line()
    {
        var port = Servers.ClosedTcpPort();
        var result = await ToolRun.InProcessAsync("load", "--target", $"grpc://127.0.0.1:{port}", "--rates", "1k");
        result.AssertFailedInOneLine(1, $"cannot reach grpc://127.0.0.1:{port}");
    }

    [Fact]
    public async Task Load_through_an_agent_that_is_not_there_fails_in_one_line()
    {
        using var server = Servers.Start(new Echo());
        var port = Servers.ClosedTcpPort();
        var result = await ToolRun.InProcessAsync("load", "--target", $"r2p2://{server.Address()}", "--rates", "1k", "--agents", $"127.0.0.1:{port}");
        result.AssertFailedInOneLine(1, $"cannot reach the load agent at 127.0.0.1:{port}");
    }

    [Fact]
    public async Task Serve_on_a_port_in_use_fails_in_one_line()
    {
        using var taken = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var result = await ToolRun.InProcessAsync("serve", "--listen", taken.LocalAddress.ToString());
        result.AssertFailedInOneLine(1, $"cannot listen on {taken.LocalAddress}: the address is already in use");

        var raw = await ToolRun.InProcessAsync("serve", "--raw-udp", "--listen", taken.LocalAddress.ToString());
        Assert.Equal(1, raw.ExitCode);
        Assert.Contains("already in use", raw.Error, StringComparison.Ordinal);
        Assert.True(result.HasNoStackTrace && raw.HasNoStackTrace, result.ToString() + raw);
    }

    [Fact]
    public async Task Serve_grpc_on_a_port_in_use_fails_in_one_line()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var result = await ToolRun.InProcessAsync("serve", "--grpc", "--listen", $"127.0.0.1:{port}");
            result.AssertFailedInOneLine(1, $"cannot listen on 127.0.0.1:{port}: the address is already in use");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Ping_to_a_port_nobody_serves_gives_up_quickly_with_the_failure_counts()
    {
        using var silent = Servers.BlackHole();
        var watch = Stopwatch.StartNew();
        var result = await ToolRun.InProcessAsync("ping", "--server", silent.LocalAddress.ToString(), "--timeout", "200ms");
        watch.Stop();

        // Three timeouts in a row end it (0.6 s of waiting), not a 20 000-call warm-up at one second each.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
        result.AssertFailedInOneLine(1, "no response from");
        Assert.Contains("3 consecutive timeouts", result.ErrorLines[0], StringComparison.Ordinal);
        // The whole output on failure (Assert.Contains cuts it at 40 characters, which hid the counts once).
        Assert.True(result.Output.Contains("no call succeeded: timeouts 3  drops 0  wrong-length 0", StringComparison.Ordinal), result.ToString());
    }

    [Fact]
    public async Task Ping_counts_wrong_length_echoes_apart_and_fails_when_none_succeeds()
    {
        using var server = Servers.Start(new ShortAnswer());
        var result = await ToolRun.InProcessAsync("ping", "--server", server.Address(), "--count", "50", "--warmup", "0");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no call succeeded: timeouts 0  drops 0  wrong-length 50", result.Output, StringComparison.Ordinal);
        Assert.Contains("no call to", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.True(result.HasNoStackTrace, result.ToString());
    }

    [Fact]
    public async Task Ping_counts_drops_apart()
    {
        using var server = Servers.Start(new Echo(), new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(0) });
        var result = await ToolRun.InProcessAsync("ping", "--server", server.Address(), "--count", "40", "--warmup", "10");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("timeouts 0  drops 50  wrong-length 0", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ping_warm_up_is_bounded_by_the_calls_asked_for()
    {
        using var server = Servers.Start(new Echo());
        var result = await ToolRun.InProcessAsync("ping", "--server", server.Address(), "--count", "7");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("calls 7  timeouts 0  drops 0  wrong-length 0", result.Output, StringComparison.Ordinal);
        Assert.Equal(14, server.Statistics.Requests); // 7 warm-up calls, then the 7 measured
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ping_without_a_server_brings_its_own_echo(bool rawUdp)
    {
        var result = await ToolRun.InProcessAsync(rawUdp ? ["ping", "--count", "200", "--raw-udp"] : ["ping", "--count", "200"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(rawUdp ? "raw UDP 64 B" : "R2P2 64 B", result.Output, StringComparison.Ordinal);
        Assert.Contains("calls 200  timeouts 0  drops 0  wrong-length 0", result.Output, StringComparison.Ordinal);
    }
}
