using System;
using System.Net;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests;

[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class SmokeTests(ITestOutputHelper output)
{
    [NetworkFact]
    public void A_datagram_goes_from_kernel_udp_to_af_xdp_and_back()
    {
        using var pair = VethPair.TryCreate(out var missing) ?? throw new InvalidOperationException(missing);

        using var xdp = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA }));
        using var udp = NamespaceThread.Run(pair.NamespaceB, () => UdpTransport.Bind(new IPEndPoint(pair.AddressB4, 0)));
        output.WriteLine($"xdp {xdp.LocalAddress} {xdp.AttachMode} {xdp.BindMode}; udp {udp.LocalAddress}");

        var packet = new PacketBuffer(64) { Length = 5, Address = xdp.LocalAddress };
        "hello"u8.CopyTo(packet.Storage);
        udp.Send([packet]);
        var slots = new[] { xdp.Rent(1472) };
        var n = 0;
        for (var i = 0; i < 100 && n == 0; i++)
        {
            n = xdp.Receive(slots, 20);
        }

        output.WriteLine(xdp.Statistics.ToString());
        Assert.Equal(1, n);
        Assert.Equal("hello"u8.ToArray(), slots[0].Span.ToArray());
        Assert.Equal(udp.LocalAddress, slots[0].Address);

        var reply = slots[0];
        reply.Address = udp.LocalAddress;
        xdp.Send([reply]);
        var back = new[] { new PacketBuffer(2000) };
        n = 0;
        for (var i = 0; i < 100 && n == 0; i++)
        {
            n = udp.Receive(back, 20);
        }

        output.WriteLine(xdp.Statistics.ToString());
        Assert.Equal(1, n);
        Assert.Equal("hello"u8.ToArray(), back[0].Span.ToArray());
        Assert.Equal(xdp.LocalAddress, back[0].Address);
    }
}
