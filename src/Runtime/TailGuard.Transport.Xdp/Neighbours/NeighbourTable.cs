using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp.Netlink;

namespace TailGuard.Transport.Xdp.Neighbours;

/// <summary>How a destination's next hop was found.</summary>
internal enum NextHopStatus
{
    /// <summary>The MAC address is known.</summary>
    Resolved,

    /// <summary>The kernel has no usable MAC address for the next hop yet (resolution was asked for).</summary>
    Unresolved,

    /// <summary>The kernel has no route to the destination out of this interface.</summary>
    Unroutable,
}

/// <summary>
/// Next-hop MAC addresses from the kernel: for each destination, the route (RTM_GETROUTE out of this interface: the
/// gateway, or the destination itself on the link) and the next hop's neighbour entry (RTM_GETNEIGH). A fixed table
/// remembers each answer for <see cref="XdpTransportOptions.NeighbourCacheLifetime"/>, so a steady stream of sends asks
/// the kernel once per destination per lifetime and allocates nothing. An unresolved next hop makes the kernel resolve
/// it (RTM_NEWNEIGH with NTF_USE) and is not asked again for a short while, so a flood of sends to it costs no system
/// calls; the datagram is dropped and counted, as the kernel drops what waits too long for ARP.
/// </summary>
internal sealed class NeighbourTable
{
    private const int Probes = 8;
    private static readonly long RetryTicks = Stopwatch.Frequency / 200; // 5 ms between asks for an unresolved next hop

    private readonly NetlinkSocket _netlink;
    private readonly int _ifindex;
    private readonly long _lifetimeTicks;
    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly Lock _gate = new();

    public NeighbourTable(NetlinkSocket netlink, int ifindex, int capacity, TimeSpan lifetime)
    {
        _netlink = netlink;
        _ifindex = ifindex;
        _lifetimeTicks = (long)(lifetime.TotalSeconds * Stopwatch.Frequency);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, Probes));
        _entries = new Entry[size];
        _mask = size - 1;
    }

    /// <summary>The next hop's MAC address for <paramref name="destination"/> (6 bytes into <paramref name="mac"/>).</summary>
    public NextHopStatus TryGetMac(PacketAddress destination, Span<byte> mac)
    {
        Span<byte> address = stackalloc byte[16];
        destination.WriteIPv6Bytes(address);
        var key = BinaryPrimitives.ReadUInt128BigEndian(address);
        var now = Stopwatch.GetTimestamp();
        var home = (int)((ulong)(key ^ (key >> 64)) * 0x9E3779B97F4A7C15UL >> 40) & _mask;
        lock (_gate)
        {
            var slot = -1;
            for (var probe = 0; probe < Probes; probe++)
            {
                ref var entry = ref _entries[(home + probe) & _mask];
                if (entry.Used && entry.Key == key)
                {
                    if (now < entry.Expires)
                    {
                        if (entry.Status == NextHopStatus.Resolved)
                        {
                            WriteMac(entry.Mac, mac);
                        }

                        return entry.Status;
                    }

                    slot = (home + probe) & _mask;
                    break;
                }

                if (slot < 0 && (!entry.Used || now >= entry.Expires))
                {
                    slot = (home + probe) & _mask;
                }
            }

            // Ask the kernel, holding the table: two netlink round trips, once per destination per lifetime.
            var status = Query(address[(destination.IsIPv4 ? 12 : 0)..], mac, out var macValue);
            slot = slot >= 0 ? slot : (home + (int)(now & (Probes - 1))) & _mask; // all probes live: replace one
            _entries[slot] = new Entry
            {
                Used = true,
                Key = key,
                Status = status,
                Mac = macValue,
                Expires = now + (status == NextHopStatus.Resolved ? _lifetimeTicks : RetryTicks),
            };
            return status;
        }
    }

    /// <summary>Forgets what the table remembers about <paramref name="destination"/>, so the next send asks the kernel.</summary>
    public void Forget(PacketAddress destination)
    {
        Span<byte> address = stackalloc byte[16];
        destination.WriteIPv6Bytes(address);
        var key = BinaryPrimitives.ReadUInt128BigEndian(address);
        lock (_gate)
        {
            for (var i = 0; i < _entries.Length; i++)
            {
                if (_entries[i].Used && _entries[i].Key == key)
                {
                    _entries[i] = default;
                }
            }
        }
    }

    /// <summary>
    /// The next hop of <paramref name="destination"/> and its neighbour state, for error messages and
    /// <see cref="XdpTransport.ResolveNeighbour"/>: the route's output interface (0 when there is no route), the next
    /// hop address, and the state (0: no entry).
    /// </summary>
    public int Describe(PacketAddress destination, out System.Net.IPAddress nextHop, out ushort state, out int outputInterface)
    {
        Span<byte> address = stackalloc byte[16];
        destination.WriteIPv6Bytes(address);
        var bytes = address[(destination.IsIPv4 ? 12 : 0)..];
        nextHop = new System.Net.IPAddress(bytes);
        state = 0;
        outputInterface = 0;
        var code = RouteNetlink.LookupRoute(_netlink, bytes, _ifindex, out var route);
        if (code != 0)
        {
            return code;
        }

        outputInterface = route.OutputInterface;
        if (route.HasGateway)
        {
            nextHop = new System.Net.IPAddress(route.Gateway.AsSpan()[..bytes.Length]);
        }

        Span<byte> mac = stackalloc byte[6];
        Span<byte> hop = stackalloc byte[16];
        nextHop.TryWriteBytes(hop, out var written);
        state = RouteNetlink.GetNeighbour(_netlink, _ifindex, hop[..written], mac, out _);
        return 0;
    }

    private NextHopStatus Query(ReadOnlySpan<byte> address, Span<byte> mac, out ulong macValue)
    {
        macValue = 0;
        if (RouteNetlink.LookupRoute(_netlink, address, _ifindex, out var route) != 0
            || route.OutputInterface != _ifindex
            || route.Type is not (RouteNetlink.RouteUnicast or RouteNetlink.RouteLocal))
        {
            return NextHopStatus.Unroutable;
        }

        Span<byte> gateway = stackalloc byte[16];
        route.Gateway.AsSpan().CopyTo(gateway);
        var nextHop = route.HasGateway ? gateway[..address.Length] : address;
        var state = RouteNetlink.GetNeighbour(_netlink, _ifindex, nextHop, mac, out var hasMac);
        if (hasMac && (state & RouteNetlink.NudUsable) != 0)
        {
            macValue = ReadMac(mac);
            return NextHopStatus.Resolved;
        }

        // Not known (or failed, or still incomplete): have the kernel resolve it, as it would for a waiting packet.
        RouteNetlink.RequestResolution(_netlink, _ifindex, nextHop);
        return NextHopStatus.Unresolved;
    }

    private static ulong ReadMac(ReadOnlySpan<byte> mac)
    {
        ulong value = 0;
        for (var i = 0; i < 6; i++)
        {
            value = (value << 8) | mac[i];
        }

        return value;
    }

    private static void WriteMac(ulong value, Span<byte> mac)
    {
        for (var i = 5; i >= 0; i--)
        {
            mac[i] = (byte)value;
            value >>= 8;
        }
    }

    private struct Entry
    {
        public bool Used;
        public NextHopStatus Status;
        public UInt128 Key;
        public ulong Mac;
        public long Expires;
    }
}
