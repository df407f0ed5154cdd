using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Tool.Tests.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// The transport in another process: <c>tailguard serve --xdp</c> and <c>tailguard ping --xdp</c> run inside the
/// namespace of the veth end they use; a second process finds the interface taken; a killed server leaves nothing
/// attached, because the kernel closes the BPF link with the process (docs/xdp.md, "Attaching and detaching").
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class ProcessTests(VethFixture veth) : IClassFixture<VethFixture>
{
    [NetworkFact]
    public async Task A_killed_server_leaves_no_program_attached_and_meanwhile_another_process_is_refused()
    {
        var pair = veth.Pair;
        using var server = ToolProcess.Start(pair.NamespaceA, "serve", "--xdp", pair.InterfaceA, "--listen", "0.0.0.0:0");
        var address = await server.WaitForAddressAsync("R2P2 echo on");
        Assert.Contains("over AF_XDP", server.Output, StringComparison.Ordinal);
        Assert.True(ProgramTests.IsAttached(pair), server.Output);

        // It serves R2P2 to a kernel UDP client on the other side.
        using (var client = NamespaceThread.Run(pair.NamespaceB, () => R2P2Client.CreateUdp(IPEndPoint.Parse(address))))
        {
            using var response = await client.CallAsync("across processes"u8.ToArray());
            Assert.Equal("across processes"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(response.Payload));
        }

        // This process cannot take the interface from it, and is told why.
        var refused = Assert.Throws<XdpUnavailableException>(() => NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA })));
        Assert.Contains("already has an XDP program attached", refused.Message, StringComparison.Ordinal);

        // SIGKILL: no dispose, no exit handler. The kernel closes the process's descriptors, the BPF link among them.
        server.Dispose();
        var deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
        while (ProgramTests.IsAttached(pair) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }

        Assert.False(ProgramTests.IsAttached(pair), "the killed server's program is gone");
        using var next = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA }));
        Assert.True(ProgramTests.IsAttached(pair));
    }

    [NetworkFact]
    public async Task Serve_over_af_xdp_prints_its_socket_statistics_on_sigusr1_and_at_exit()
    {
        var pair = veth.Pair;
        using var server = ToolProcess.Start(pair.NamespaceA, "serve", "--xdp", pair.InterfaceA, "--listen", "0.0.0.0:0");
        var address = await server.WaitForAddressAsync("R2P2 echo on");
        Assert.Contains("SIGUSR1 prints the AF_XDP statistics", server.Output, StringComparison.Ordinal);
        using (var client = NamespaceThread.Run(pair.NamespaceB, () => R2P2Client.CreateUdp(IPEndPoint.Parse(address))))
        {
            for (var i = 0; i < 5; i++)
            {
                using var response = await client.CallAsync("counted"u8.ToArray());
            }
        }

        // SIGUSR1 prints one line per queue and the server goes on.
        await server.SignalAsync("USR1");
        var deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        while (StatisticsLines(server.Output).Count == 0 && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20);
        }

        var running = Assert.Single(StatisticsLines(server.Output));
        Assert.False(server.HasExited, server.Output);
        AssertStatisticsLine(running);

        // SIGTERM: the final counts, then the statistics again.
        Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(60)));
        var lines = StatisticsLines(server.Output);
        Assert.Equal(2, lines.Count);
        AssertStatisticsLine(lines[1]);
        Assert.True(server.Output.IndexOf("served ", StringComparison.Ordinal) < server.Output.LastIndexOf("AF_XDP queue 0:", StringComparison.Ordinal), server.Output);
    }

    [NetworkFact]
    public async Task Ping_over_af_xdp_reaches_a_kernel_udp_echo_and_reports_percentiles()
    {
        var pair = veth.Pair;
        using var echo = ToolProcess.Start(pair.NamespaceB, "serve", "--listen", $"{pair.AddressB4}:0");
        var address = await echo.WaitForAddressAsync("R2P2 echo on");
        using var ping = ToolProcess.Start(pair.NamespaceA, "ping", "--xdp", $"{pair.InterfaceA}:0", "--server", address, "--count", "200", "--warmup", "50", "--verify");
        var code = await ping.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(code == 0, ping.Output);
        Assert.Contains("over AF_XDP", ping.Output, StringComparison.Ordinal);
        Assert.Contains($"--xdp {pair.InterfaceA}:0", ping.Output, StringComparison.Ordinal);
        Assert.Matches(@"p50 .* calls 200 ", ping.Output);
        Assert.False(ProgramTests.IsAttached(pair), "the ping detached at exit");
    }

    /// <summary>The lines <c>tailguard serve --xdp</c> prints per queue: "AF_XDP queue N: ...".</summary>
    private static System.Collections.Generic.List<string> StatisticsLines(string output)
        => [.. output.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith("AF_XDP queue 0:", StringComparison.Ordinal))];

    /// <summary>Mode, traffic (5 calls served), no kernel losses, both ring-empty counters, and a census that adds up.</summary>
    private static void AssertStatisticsLine(string line)
    {
        Assert.Matches(@"^AF_XDP queue 0: (Native|Generic) attach, Copy bind: received \d+, sent \d+, ", line);
        var traffic = Regex.Match(line, @"received (\d+), sent (\d+),");
        Assert.True(long.Parse(traffic.Groups[1].Value, CultureInfo.InvariantCulture) >= 5, line);
        Assert.True(long.Parse(traffic.Groups[2].Value, CultureInfo.InvariantCulture) >= 5, line);
        Assert.Matches(@"kernel rx dropped 0, rx ring full 0, fill ring empty \d+, tx ring empty \d+, ", line);
        Assert.EndsWith("kernel receive losses 0", line, StringComparison.Ordinal);
        var census = Regex.Match(line, @"frames (\d+): free (\d+), receiving (\d+), held (\d+), sending (\d+)");
        Assert.True(census.Success, line);
        var counts = Enumerable.Range(1, 5).Select(i => int.Parse(census.Groups[i].Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(counts[0] > 0, line);
        Assert.Equal(counts[0], counts[1] + counts[2] + counts[3] + counts[4]);
    }

    [NetworkFact]
    public async Task Serve_with_xdp_and_raw_udp_is_a_usage_error_in_one_line()
    {
        var pair = veth.Pair;
        using var serve = ToolProcess.Start(pair.NamespaceA, "serve", "--xdp", pair.InterfaceA, "--raw-udp");
        Assert.Equal(2, await serve.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--xdp apply to the R2P2 server only", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", serve.Output, StringComparison.Ordinal);
    }
}
