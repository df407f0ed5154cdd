using System.Net;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>Which part of each conformance case runs over AF_XDP; the other part runs over kernel UDP sockets.</summary>
public enum XdpSide
{
    /// <summary>The client or server under test is an AF_XDP endpoint; the raw peers playing its counterpart are kernel UDP sockets.</summary>
    CodeUnderTest,

    /// <summary>The client or server under test is a kernel UDP socket; the raw peer playing its counterpart is an AF_XDP endpoint.</summary>
    Peer,
}

/// <summary>
/// The conformance cases across a veth pair: side A (namespace A) holds the AF_XDP endpoint, side B kernel UDP
/// sockets. With <see cref="XdpSide.CodeUnderTest"/> the case's first client or server binds AF_XDP on A (a second
/// one, as in case 13, is a kernel socket on B talking to it) and every raw peer a kernel socket on B. With
/// <see cref="XdpSide.Peer"/> the client or server binds a kernel socket on B, the case's first raw peer binds
/// AF_XDP on A, and further peers (a router and a server, two clients) kernel sockets on A, beside the XDP program,
/// which must leave them alone.
/// </summary>
internal sealed class XdpTestNetwork(VethPair pair, XdpSide side, bool ipv6) : TestNetwork
{
    private int _codeBinds;
    private int _peerBinds;

    public override string Name => $"af-xdp-{side}-{(ipv6 ? "ipv6" : "ipv4")}";

    public override bool IsIPv6 => ipv6;

    public override PacketTransport Bind()
        => side == XdpSide.CodeUnderTest && _codeBinds++ == 0 ? Xdp() : Kernel(pair.NamespaceB, pair.AddressB(ipv6));

    public override PacketTransport BindPeer()
        => side == XdpSide.Peer
            ? (_peerBinds++ == 0 ? Xdp() : Kernel(pair.NamespaceA, pair.AddressA(ipv6)))
            : Kernel(pair.NamespaceB, pair.AddressB(ipv6));

    /// <summary>A kernel-socket server is made in namespace B, where its socket is, so its route MTU checks see B's routes.</summary>
    public override R2P2Server Server(IR2P2Handler handler, R2P2ServerOptions? options)
        => side == XdpSide.CodeUnderTest && _codeBinds == 0
            ? base.Server(handler, options)
            : NamespaceThread.Run(pair.NamespaceB, () => base.Server(handler, options));

    private XdpTransport Xdp() => NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions
    {
        Interface = pair.InterfaceA,
        LocalAddress = pair.AddressA(ipv6),
    }));

    private static UdpTransport Kernel(string networkNamespace, IPAddress address)
        => NamespaceThread.Run(networkNamespace, () => UdpTransport.Bind(new IPEndPoint(address, 0)));
}
