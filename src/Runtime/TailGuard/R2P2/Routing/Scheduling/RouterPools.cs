using System;
using System.Collections.Generic;
using System.Net.Sockets;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// The router's server pools: one <see cref="RouterScheduler"/> per address family it serves (docs/router.md,
/// "Dual-stack"). Forwarding rewrites only the destination, so a request can go only to a server of its client's
/// family: each family keeps its own members, JBSQ credits, central queue and policy state, and a FEEDBACK goes to the
/// pool of its source's family. A single-family router has one pool. Called under the router's lock, as the schedulers are.
/// </summary>
internal sealed class RouterPools
{
    private readonly RouterScheduler? _ipv4;
    private readonly RouterScheduler? _ipv6;
    private readonly R2P2RouterStatistics _statistics;

    // watch: the FEEDBACK port's losses and reads, shared by both pools (one port takes both families' FEEDBACK); null when its transport cannot tell.
    public RouterPools(R2P2RouterOptions options, R2P2RouterStatistics statistics, long now, bool ipv4, bool ipv6, FeedbackPortWatch? watch = null)
    {
        _statistics = statistics;
        _ipv4 = ipv4 ? new RouterScheduler(options, statistics, now, AddressFamily.InterNetwork, watch) : null;
        _ipv6 = ipv6 ? new RouterScheduler(options, statistics, now, AddressFamily.InterNetworkV6, watch) : null;
    }

    /// <summary>Requests waiting in the central queues.</summary>
    public int QueueLength => (_ipv4?.QueueLength ?? 0) + (_ipv6?.QueueLength ?? 0);

    /// <summary>Forwarded requests awaiting FEEDBACK, over both families.</summary>
    public int OutstandingCount => (_ipv4?.OutstandingCount ?? 0) + (_ipv6?.OutstandingCount ?? 0);

    /// <summary>The IPv4 pool's fixed server, else the IPv6 pool's (each family has its own: <see cref="RouterServerStatus.IsFixedServer"/>).</summary>
    public PacketAddress? FixedServer => _ipv4?.FixedServer ?? _ipv6?.FixedServer;

    /// <summary>The source of the last FEEDBACK from an address that is not a member of its family's pool.</summary>
    public PacketAddress? LastUnknownFeedbackSource { get; private set; }

    public bool HasEvicted => (_ipv4?.HasEvicted ?? false) || (_ipv6?.HasEvicted ?? false);

    /// <summary>The pool of <paramref name="address"/>'s family (a client's or a server's), or null when the router does not serve it.</summary>
    public RouterScheduler? For(PacketAddress address) => address.IsIPv4 ? _ipv4 : _ipv6;

    /// <summary>A FEEDBACK, to the pool of its source's family (an IPv4 server's FEEDBACK on a dual-stack port arrives as an IPv4 address).</summary>
    public void OnFeedback(PacketAddress source, ushort requestId, PacketAddress client, long now, IRouterOutput output)
    {
        if (For(source) is not { } pool)
        {
            _statistics.UnknownFeedback();
            LastUnknownFeedbackSource = source;
            return;
        }

        if (!pool.OnFeedback(source, requestId, client, now, output))
        {
            LastUnknownFeedbackSource = source;
        }
    }

    /// <summary>Both pools' timers; the next time either has something due.</summary>
    public long Expire(long now, IRouterOutput output)
        => Math.Min(_ipv4?.Expire(now, output) ?? long.MaxValue, _ipv6?.Expire(now, output) ?? long.MaxValue);

    public void TakeEvicted(List<PacketAddress> into)
    {
        _ipv4?.TakeEvicted(into);
        _ipv6?.TakeEvicted(into);
    }

    /// <summary>The router is stopping: every queued request of both families is answered DROP.</summary>
    public void Clear(IRouterOutput output)
    {
        _ipv4?.Clear(output);
        _ipv6?.Clear(output);
    }

    /// <summary>The members of both pools, ordered by address (IPv4 ones, which start with a digit, before "[" of IPv6 ones).</summary>
    public RouterServerStatus[] Snapshot(long now) => [.. _ipv4?.Snapshot(now) ?? [], .. _ipv6?.Snapshot(now) ?? []];
}
