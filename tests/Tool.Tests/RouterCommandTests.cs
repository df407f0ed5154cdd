using System;
using System.IO;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tool.Tests.Infrastructure;

namespace TailGuard.Tool.Tests;

/// <summary>
/// What <c>tailguard router</c> and serve's worker and service-time flags promise on the command line (docs/router.md):
/// every bad input is one line on stderr and a nonzero exit code, never a stack trace, and nothing is left bound.
/// </summary>
public sealed class RouterCommandTests
{
    [Fact]
    public async Task Router_has_help_naming_its_policies()
    {
        var result = await ToolRun.InProcessAsync("router", "--help");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
        Assert.Contains("jbsq:N", result.Output, StringComparison.Ordinal);
        Assert.Contains("--feedback-port", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no servers", "router", "--listen", "127.0.0.1:0")]
    [InlineData("the server 127.0.0.1:9100 is given twice", "router", "--server", "127.0.0.1:9100", "--server", "127.0.0.1:9100")]
    [InlineData("the server 127.0.0.1:9101 is given twice", "router", "--server", "127.0.0.1:9100-9103,127.0.0.1:9101")]
    [InlineData("'127.0.0.1:9100-9000': the last port must be at least the first", "router", "--server", "127.0.0.1:9100-9000")]
    [InlineData("'localhost' is not", "router", "--server", "localhost")]
    [InlineData("the server [::1]:9100 and --listen 127.0.0.1:9000 are of different address families", "router", "--server", "[::1]:9100")]
    [InlineData("'[::]:9100' is not a server's address", "router", "--listen", "[::1]:0", "--server", "[::]:9100")]
    [InlineData("'0.0.0.0:9100' is not a server's address", "router", "--server", "0.0.0.0:9100")]
    [InlineData("JBSQ needs its bound", "router", "--server", "127.0.0.1:9100", "--policy", "jbsq")]
    [InlineData("JBSQ needs its bound", "router", "--server", "127.0.0.1:9100", "--policy", "jbsq:0")]
    [InlineData("is not a router policy", "router", "--server", "127.0.0.1:9100", "--policy", "least-loaded")]
    [InlineData("--fixed-server 127.0.0.1:9200 is not one of the servers", "router", "--server", "127.0.0.1:9100", "--fixed-server", "127.0.0.1:9200")]
    [InlineData("the server 127.0.0.1:9100 and --listen [::1]:9000 are of different address families", "router", "--listen", "[::1]:9000", "--server", "127.0.0.1:9100")]
    [InlineData("--feedback-timeout must be longer than 0", "router", "--server", "127.0.0.1:9100", "--feedback-timeout", "0s")]
    [InlineData("--xdp-fallback needs --xdp", "router", "--server", "127.0.0.1:9100", "--xdp-fallback")]
    [InlineData("--xdp serves one address family", "router", "--xdp", "eth0", "--listen", "[::]:0", "--server", "127.0.0.1:9100")]
    [InlineData("'eth0:x' is not IFACE[:QUEUE]", "router", "--xdp", "eth0:x", "--server", "127.0.0.1:9100")]
    [InlineData("--workers and --loops cannot be used together", "serve", "--listen", "127.0.0.1:0", "--workers", "4", "--loops", "2")]
    [InlineData("--workers: '0' is not", "serve", "--listen", "127.0.0.1:0", "--workers", "0")]
    [InlineData("is not a service time", "serve", "--listen", "127.0.0.1:0", "--service-time", "gamma:1ms")]
    [InlineData("is not a percentage", "serve", "--listen", "127.0.0.1:0", "--service-time", "bimodal:ninety:1ms:5ms")]
    [InlineData("--service-mode and --seed go with --service-time", "serve", "--listen", "127.0.0.1:0", "--service-mode", "spin")]
    [InlineData("--service-mode: 'burn' is not one of", "serve", "--listen", "127.0.0.1:0", "--service-time", "exp:1ms", "--service-mode", "burn")]
    [InlineData("apply to the R2P2 server only", "serve", "--raw-udp", "--listen", "127.0.0.1:0", "--workers", "2")]
    [InlineData("apply to the R2P2 server only", "serve", "--raw-udp", "--listen", "127.0.0.1:0", "--service-time", "fixed:1ms")]
    public async Task Bad_router_and_worker_command_lines_are_one_line_usage_errors(string message, params string[] args)
    {
        var result = await ToolRun.InProcessAsync(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("tailguard", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.True(result.HasNoStackTrace, result.ToString());
    }

    [DualStackRouterFact]
    public async Task A_router_on_a_dual_stack_port_takes_servers_of_both_families()
    {
        using var ipv4 = Servers.Start(new Echo());
        using var ipv6 = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new Echo());
        var result = await ToolRun.InProcessAsync("router", "--listen", "[::]:0", "--server", ipv4.Address(), "--server", ipv6.Address(), "--duration", "1s");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("R2P2 router on [::]:", result.Output, StringComparison.Ordinal);
        var lines = result.Output.ReplaceLineEndings("\n").Split('\n');
        Assert.Contains($"  server {ipv4.Address()} (fixed)", lines); // each family has its own fixed server
        Assert.Contains($"  server {ipv6.Address()} (fixed)", lines);
        Assert.Contains("dual-stack: IPv4 clients go to the IPv4 servers", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_nobody_serves_is_named_before_the_router_starts()
    {
        // A bound-then-closed port answers "port unreachable" on loopback: the probe sees it.
        int port;
        using (var probe = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = probe.LocalAddress.Port;
        }

        using var live = Servers.Start(new Echo());
        var result = await ToolRun.InProcessAsync("router", "--listen", "127.0.0.1:0", "--server", live.Address(), "--server", $"127.0.0.1:{port}", "--duration", "1s");
        result.AssertFailedInOneLine(1, $"127.0.0.1:{port}");
        Assert.DoesNotContain(live.Address(), result.ErrorLines[0], StringComparison.Ordinal);
        Assert.True(result.HasNoStackTrace, result.ToString());
    }

    [Fact]
    public async Task A_router_port_in_use_fails_in_one_line()
    {
        using var taken = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var server = Servers.Start(new Echo());
        var result = await ToolRun.InProcessAsync("router", "--listen", taken.LocalAddress.ToString(), "--server", server.Address(), "--duration", "1s");
        result.AssertFailedInOneLine(1, $"cannot listen on {taken.LocalAddress}");
    }

    [Fact]
    public async Task A_servers_file_that_lists_a_server_twice_is_refused()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(file, ["# the workers", "127.0.0.1:9100-9101", "127.0.0.1:9101"]);
            var result = await ToolRun.InProcessAsync("router", "--servers-file", file, "--no-probe", "--duration", "1s");
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("the server 127.0.0.1:9101 is given twice", result.ErrorLines[0], StringComparison.Ordinal);
            Assert.True(result.HasNoStackTrace, result.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Workers_on_a_taken_port_of_their_run_fail_in_one_line_naming_the_run()
    {
        using var taken = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var first = taken.LocalAddress.Port - 1;
        var result = await ToolRun.InProcessAsync("serve", "--listen", $"127.0.0.1:{first}", "--workers", "3", "--duration", "1s");
        result.AssertFailedInOneLine(1, $"cannot listen on 127.0.0.1:{first} with 3 workers (ports {first}-{first + 2})");
    }
}
