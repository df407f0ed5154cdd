namespace TailGuard.R2P2;

/// <summary>Settings of a <see cref="UdpTransport"/>.</summary>
public sealed class UdpTransportOptions
{
    /// <summary>The kernel receive buffer (SO_RCVBUF) in bytes; 0 keeps the system default.</summary>
    public int ReceiveBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>The kernel send buffer (SO_SNDBUF) in bytes; 0 keeps the system default.</summary>
    public int SendBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Sets SO_REUSEPORT before binding, so several sockets (one per receive loop) share one port.</summary>
    public bool ReusePort { get; init; }

    /// <summary>
    /// Uses recvmmsg/sendmmsg on Linux (one system call per batch). When false, or off Linux, the portable path uses
    /// <see cref="System.Net.Sockets.Socket"/>'s SocketAddress-based calls, one datagram per call, still allocation-free.
    /// </summary>
    public bool UseBatchedSystemCalls { get; init; } = true;

    /// <summary>
    /// IP_MULTICAST_TTL of the datagrams an IPv4 socket sends to a multicast group: how many routers they may cross (0
    /// keeps them on this host). 1 by default, the kernel's own default: one link, where a replicated service's group
    /// lives (docs/replication.md, "Fan-out").
    /// </summary>
    public int MulticastTimeToLive { get; init; } = 1;

    /// <summary>
    /// IP_MULTICAST_LOOP of an IPv4 socket: whether the datagrams it sends to a group also reach the group's members on
    /// this host. True by default (the kernel's default too), so replicas on the sender's machine get their copy.
    /// </summary>
    public bool MulticastLoopback { get; init; } = true;
}
