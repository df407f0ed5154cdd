using System;
using System.Diagnostics;
using System.Net;
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
