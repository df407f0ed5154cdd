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
}
