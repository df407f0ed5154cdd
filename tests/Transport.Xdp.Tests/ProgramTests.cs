using System;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Netlink;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// The XDP program on a live interface: only the service's UDP port goes to the AF_XDP socket; the kernel keeps
/// everything else (another UDP port, ICMP, TCP, ARP and neighbour discovery), and gets the interface back on dispose.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class ProgramTests(VethFixture veth) : IClassFixture<VethFixture>
{
    [NetworkTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Traffic_that_is_not_the_services_still_reaches_the_kernel_while_the_program_is_attached(bool ipv6)
    {
        var pair = veth.Pair;
        using var xdp = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA }));
        Assert.True(IsAttached(pair), "the program is on the interface");

        // Another UDP port on the same address: the kernel socket gets it, the AF_XDP socket does not.
        using var other = NamespaceThread.Run(pair.NamespaceA, () => UdpTransport.Bind(new IPEndPoint(pair.AddressA(ipv6), 0)));
        using var sender = NamespaceThread.Run(pair.NamespaceB, () => UdpTransport.Bind(new IPEndPoint(pair.AddressB(ipv6), 0)));
        Send(sender, other.LocalAddress, "to the kernel");
        Assert.Equal("to the kernel", ReceiveText(other));
        var passedBefore = xdp.Statistics.ProgramPassed;

        // ICMP echo (and with it ARP or neighbour discovery) is answered by the kernel.
        var reply = NamespaceThread.Run(pair.NamespaceB, () =>
        {
            using var ping = new Ping();
            return ping.Send(pair.AddressA(ipv6), 2000);
        });
        Assert.Equal(IPStatus.Success, reply.Status);

        // TCP: a connection to a listener in the namespace, and bytes both ways.
        using var listener = NamespaceThread.Run(pair.NamespaceA, () =>
        {
            var l = new TcpListener(pair.AddressA(ipv6), 0);
            l.Start();
            return l;
        });
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        using var client = NamespaceThread.Run(pair.NamespaceB, () =>
        {
            var c = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            c.Connect(endPoint);
            return c;
        });
        using var accepted = listener.AcceptSocket();
        client.Send("tcp"u8);
        var buffer = new byte[3];
        Assert.Equal(3, accepted.Receive(buffer));
        Assert.Equal("tcp"u8.ToArray(), buffer);

        // The program saw them and passed them; the service's port still goes to AF_XDP.
        Assert.True(xdp.Statistics.ProgramPassed > passedBefore, xdp.Statistics.ToString());
        Send(sender, PacketAddress.FromEndPoint(new IPEndPoint(pair.AddressA(ipv6), xdp.LocalAddress.Port)), "to AF_XDP");
        Assert.Equal("to AF_XDP", ReceiveText(xdp));
        Assert.Equal(0, other.Receive([new PacketBuffer(64)], 0));
    }

    [NetworkFact]
    public void Dispose_detaches_the_program_and_frees_the_port_for_the_kernel()
    {
        var pair = veth.Pair;
        var xdp = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA }));
        var port = xdp.LocalAddress.Port;
        Assert.True(IsAttached(pair));
        Assert.True(xdp.Statistics.ProgramHeldByLink, "on this kernel a BPF link holds the program");
        xdp.Dispose();

        Assert.True(IsDetached(pair), "dispose detaches the program");
        using var kernel = NamespaceThread.Run(pair.NamespaceA, () => UdpTransport.Bind(new IPEndPoint(pair.AddressA4, port)));
        using var sender = NamespaceThread.Run(pair.NamespaceB, () => UdpTransport.Bind(new IPEndPoint(pair.AddressB4, 0)));
        Send(sender, kernel.LocalAddress, "kernel again");
        Assert.Equal("kernel again", ReceiveText(kernel));
    }

    [NetworkFact]
    public void A_transport_on_an_interface_with_no_such_queue_or_name_is_refused_with_the_reason()
    {
        var pair = veth.Pair;
        var queue = Assert.ThrowsAny<Exception>(() => NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, Queue = 4000 })));
        Assert.Contains("queue", queue.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(IsDetached(pair), "a failed creation leaves nothing attached");

        var name = Assert.Throws<ArgumentException>(() => NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = "tgxnosuch0" })));
        Assert.Contains("tgxnosuch0", name.Message, StringComparison.Ordinal);
    }

    [NetworkFact]
    public void The_default_frame_count_is_4096_or_twice_the_ring_and_a_count_below_twice_the_ring_is_refused()
    {
        var pair = veth.Pair;
        using (var defaults = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA })))
        {
            Assert.Equal(4096, defaults.Statistics.FrameCount);
        }

        using (var wide = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, RingSize = 4096 })))
        {
            Assert.Equal(2 * 4096, wide.Statistics.FrameCount);
        }

        var few = Assert.Throws<ArgumentException>(() => NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, FrameCount = 1024 + 1023 })));
        Assert.Contains($"{nameof(XdpTransportOptions.FrameCount)} must be 0 (sized for the role) or at least twice {nameof(XdpTransportOptions.RingSize)} (2048)", few.Message, StringComparison.Ordinal);
        Assert.True(IsDetached(pair), "the transports disposed above left nothing attached, and the refused one attached nothing");
    }

    internal static bool IsAttached(VethPair pair) => NamespaceThread.Run(pair.NamespaceA, () =>
    {
        using var netlink = NetlinkSocket.Open();
        return RouteNetlink.GetLink(netlink, pair.InterfaceA)!.Attached.IsAttached;
    });

    /// <summary>
    /// Whether side A has no XDP program within 5 s. A program this process detached can stay attached for a moment: a
    /// child process another test forks at that instant holds the closed BPF link's descriptor until it execs
    /// (XdpAttachment.AwaitDetach). One that stays attached longer was not detached.
    /// </summary>
    internal static bool IsDetached(VethPair pair)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (IsAttached(pair))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            System.Threading.Thread.Sleep(5);
        }

        return true;
    }

    internal static void Send(PacketTransport from, PacketAddress to, string text)
    {
        var packet = from.Rent(64);
        packet.Length = System.Text.Encoding.ASCII.GetBytes(text, packet.Storage);
        packet.Address = to;
        from.Send([packet]);
    }

    internal static string ReceiveText(PacketTransport transport)
    {
        var slots = new[] { new PacketBuffer(2048) };
        for (var i = 0; i < 250; i++)
        {
            if (transport.Receive(slots, 20) == 1)
            {
                var text = System.Text.Encoding.ASCII.GetString(slots[0].Span);
                slots[0].Return(); // a transport's own buffer goes back to it (a UMEM frame, for AF_XDP)
                return text;
            }
        }

        throw new TimeoutException($"nothing reached {transport.LocalAddress}");
    }
}
