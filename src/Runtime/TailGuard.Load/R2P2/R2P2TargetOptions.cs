using System;
using TailGuard.R2P2;

namespace TailGuard.Load;

/// <summary>How an R2P2 target's connections are built.</summary>
public sealed class R2P2TargetOptions
{
    /// <summary>How each connection's client waits for responses.</summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Blocking;

    /// <summary>
    /// Ask the kernel for software receive timestamps (Linux SO_TIMESTAMPING) on the latency-measuring connections;
    /// where they are unavailable the monotonic clock is read after each receive, and the report says which.
    /// </summary>
    public bool KernelTimestamps { get; init; } = true;

    /// <summary>The R2P2 payload size per packet (requests larger than this are split into several packets).</summary>
    public int PacketPayloadSize { get; init; } = new R2P2ClientOptions().PayloadSize;

    /// <summary>The largest response accepted.</summary>
    public int MaxResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Socket settings.</summary>
    public UdpTransportOptions Transport { get; init; } = new();

    /// <summary>
    /// Who may answer (docs/security.md, "Source binding"): the target itself by default; behind an R2P2 router, whose
    /// servers answer the client directly (docs/router.md), <see cref="ResponseSources.Servers(PacketAddress[])"/> or
    /// <see cref="ResponseSources.AnyServer"/>.
    /// </summary>
    public ResponseSources ResponseSources { get; init; } = ResponseSources.Destination;

    internal R2P2ClientOptions ClientOptions(LoadConnectionSettings settings) => new()
    {
        ReceiveMode = ReceiveMode,
        Timeout = settings.Timeout,
        MaxInFlight = settings.MaxInFlight + 16, // the generator never exceeds its own limit, so the client never refuses
        PayloadSize = PacketPayloadSize,
        MaxResponseBytes = MaxResponseBytes,
        RunContinuationsAsynchronously = false, // completions run on the receive thread, right after the datagram
        OwnsTransport = true,
        ResponseSources = ResponseSources,
    };

    internal static void CheckEndPoint(System.Net.IPEndPoint server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new NotSupportedException($"R2P2 targets are IPv4 in this version of TailGuard ({server} is not).");
        }

        if (server.Port == 0)
        {
            throw new ArgumentException("The server's port must not be 0.", nameof(server));
        }
    }
}
