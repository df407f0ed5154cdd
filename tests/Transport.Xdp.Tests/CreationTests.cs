using System;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// Where AF_XDP cannot be used, construction says what is missing, and the R2P2 factories' fallback serves over kernel
/// UDP sockets instead and logs why. The test thread gives up its networking and BPF capabilities to be that process.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class CreationTests(VethFixture veth) : IClassFixture<VethFixture>
{
    [NetworkFact]
    public void Without_privileges_construction_fails_naming_every_missing_capability()
    {
        var pair = veth.Pair;
        var error = Assert.Throws<XdpUnavailableException>(() => NamespaceThread.Run(pair.NamespaceA, () =>
        {
            ThreadPrivileges.DropNetworkingAndBpf();
            return XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA });
        }));

        Assert.Contains("CAP_NET_ADMIN", error.Message, StringComparison.Ordinal);
        Assert.Contains("CAP_NET_RAW", error.Message, StringComparison.Ordinal);
        Assert.Contains("CAP_BPF", error.Message, StringComparison.Ordinal);
        Assert.True(ProgramTests.IsDetached(pair), "no program stays on the interface");

        // Without the fallback, the R2P2 factory refuses the same way.
        Assert.Throws<XdpUnavailableException>(() => NamespaceThread.Run(pair.NamespaceA, () =>
        {
            ThreadPrivileges.DropNetworkingAndBpf();
            return R2P2Server.CreateXdp(new XdpTransportOptions { Interface = pair.InterfaceA }, new Echo());
        }));
    }

    [NetworkFact]
    public async Task The_server_and_client_factories_fall_back_to_udp_sockets_and_log_why()
    {
        var pair = veth.Pair;
        var serverLog = new RecordingLogger();
        using var server = NamespaceThread.Run(pair.NamespaceA, () =>
        {
            ThreadPrivileges.DropNetworkingAndBpf();
            return R2P2Server.CreateXdp(new XdpTransportOptions { Interface = pair.InterfaceA }, new Echo(), fallback: XdpFallback.UdpSockets, logger: serverLog);
        });
        var clientLog = new RecordingLogger();
        using var client = NamespaceThread.Run(pair.NamespaceB, () =>
        {
            ThreadPrivileges.DropNetworkingAndBpf();
            return R2P2Client.CreateXdp(server.LocalAddress, new XdpTransportOptions { Interface = pair.InterfaceB }, fallback: XdpFallback.UdpSockets, logger: clientLog);
        });

        using var response = await client.CallAsync("over udp"u8.ToArray());

        Assert.Equal("over udp"u8.ToArray(), System.Buffers.BuffersExtensions.ToArray(response.Payload));
        Assert.Equal(pair.AddressA4, server.LocalAddress.ToEndPoint().Address); // the interface's address
        Assert.True(ProgramTests.IsDetached(pair), "no program stays on the interface");
        foreach (var (log, role) in new[] { (serverLog, "server"), (clientLog, "client") })
        {
            var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning).Message;
            Assert.Contains($"R2P2 {role} falls back to kernel UDP sockets", warning, StringComparison.Ordinal);
            Assert.Contains("CAP_NET_ADMIN", warning, StringComparison.Ordinal);
        }
    }

    [NetworkFact]
    public void With_privileges_the_factory_logs_the_transport_it_chose()
    {
        var pair = veth.Pair;
        var log = new RecordingLogger();
        using var server = NamespaceThread.Run(pair.NamespaceA, () => R2P2Server.CreateXdp(new XdpTransportOptions { Interface = pair.InterfaceA }, new Echo(), fallback: XdpFallback.UdpSockets, logger: log));

        var line = Assert.Single(log.Entries).Message;
        Assert.Contains("over AF_XDP", line, StringComparison.Ordinal);
        Assert.Contains($"{pair.InterfaceA} queue 0", line, StringComparison.Ordinal);
        Assert.Contains("Native attach, Copy bind", line, StringComparison.Ordinal);
        Assert.True(ProgramTests.IsAttached(pair));
    }
}
