using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Net;
using System.Text;
using TailGuard.Transport.Xdp.Interop;

namespace TailGuard.Transport.Xdp.Netlink;

/// <summary>What the kernel says about an interface.</summary>
internal sealed record LinkInfo(int Index, string Name, byte[] Mac, int Mtu, int ReceiveQueues, bool IsUp, XdpAttachedProgram Attached);

/// <summary>The XDP program the kernel reports on an interface (IFLA_XDP): none, or its mode and id.</summary>
internal readonly record struct XdpAttachedProgram(byte Mode, uint ProgramId)
{
    public const byte None = 0;
    public const byte Driver = 1;
    public const byte Generic = 2;
    public const byte Hardware = 3;
    public const byte Multiple = 4;

    public bool IsAttached => Mode != None;

    public string ModeName => Mode switch
    {
        Driver => "native (driver)",
        Generic => "generic (skb)",
        Hardware => "offloaded (hardware)",
        Multiple => "several modes",
        _ => "none",
    };
}

/// <summary>The kernel's route to a destination: the interface, the next hop (a gateway, or the destination itself) and the preferred source.</summary>
internal struct RouteLookup
{
    public int OutputInterface;
    public byte Type;
    public bool HasGateway;
    public Address16 Gateway;
    public bool HasPreferredSource;
    public Address16 PreferredSource;
}

/// <summary>16 address bytes by value (IPv4 uses the first 4), so a lookup allocates nothing.</summary>
internal unsafe struct Address16
{
    public fixed byte Bytes[16];

    public static Address16 From(ReadOnlySpan<byte> bytes)
    {
        var value = default(Address16);
        bytes[..Math.Min(bytes.Length, 16)].CopyTo(value.AsSpan());
        return value;
    }

    public Span<byte> AsSpan() => new(System.Runtime.CompilerServices.Unsafe.AsPointer(ref Bytes[0]), 16);
}

/// <summary>
/// The rtnetlink requests the transport makes: interface facts (RTM_GETLINK), addresses (RTM_GETADDR), routes
/// (RTM_GETROUTE), neighbours (RTM_GETNEIGH, and RTM_NEWNEIGH with NTF_USE to make the kernel resolve one), and XDP
/// attachment through IFLA_XDP for kernels without BPF links. Lookups on the send path (route, neighbour) allocate nothing.
/// </summary>
internal static unsafe class RouteNetlink
{
    public const byte RouteUnicast = 1;
    public const byte RouteLocal = 2;

    // Neighbour states (NUD_*).
    public const ushort NudIncomplete = 0x01;
    public const ushort NudReachable = 0x02;
    public const ushort NudStale = 0x04;
    public const ushort NudDelay = 0x08;
    public const ushort NudProbe = 0x10;
    public const ushort NudFailed = 0x20;
    public const ushort NudNoArp = 0x40;
    public const ushort NudPermanent = 0x80;

    /// <summary>States whose link-layer address may be used to send (the kernel sends in these too).</summary>
    public const ushort NudUsable = NudReachable | NudStale | NudDelay | NudProbe | NudNoArp | NudPermanent;

    public const uint XdpFlagsUpdateIfNoExist = 1u << 0;
    public const uint XdpFlagsGeneric = 1u << 1;
    public const uint XdpFlagsDriver = 1u << 2;
    public const uint XdpFlagsReplace = 1u << 4;

    private const ushort RtmNewLink = 16;
    private const ushort RtmGetLink = 18;
    private const ushort RtmSetLink = 19;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmGetAddr = 22;
    private const ushort RtmNewRoute = 24;
    private const ushort RtmGetRoute = 26;
    private const ushort RtmNewNeigh = 28;
    private const ushort RtmGetNeigh = 30;
    private const ushort IflaAddress = 1;
    private const ushort IflaIfname = 3;
    private const ushort IflaMtu = 4;
    private const ushort IflaExtMask = 29;
    private const ushort IflaNumRxQueues = 32;
    private const ushort IflaXdp = 43;
    private const ushort IflaXdpFd = 1;
    private const ushort IflaXdpAttached = 2;
    private const ushort IflaXdpFlags = 3;
    private const ushort IflaXdpProgId = 4;
    private const ushort IflaXdpExpectedFd = 8;
    private const ushort IfaAddress = 1;
    private const ushort IfaLocal = 2;
    private const ushort IfaFlags = 8;
    private const uint IfaFlagTentative = 0x40;
    private const uint IfaFlagDadFailed = 0x08;
    private const ushort RtaDst = 1;
    private const ushort RtaOif = 4;
    private const ushort RtaGateway = 5;
    private const ushort RtaPrefSrc = 7;
    private const ushort NdaDst = 1;
    private const ushort NdaLladdr = 2;
    private const byte NtfUse = 0x01;
    private const uint IffUp = 0x1;
    private const uint RtextFilterSkipStats = 1u << 3;
    private const int IfInfoSize = 16;
    private const int IfAddrSize = 8;
    private const int RtMsgSize = 12;
    private const int NdMsgSize = 12;

    /// <summary>The interface called <paramref name="name"/>, or null when there is none.</summary>
    public static LinkInfo? GetLink(NetlinkSocket netlink, string name)
    {
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmGetLink, 0);
            request.Reserve(IfInfoSize);
            request.Attribute(IflaIfname, Encoding.UTF8.GetBytes(name + "\0"));
            request.Attribute(IflaExtMask, RtextFilterSkipStats);
            var code = netlink.Transact(ref request, out var reply, out var error);
            if (code == -Libc.ENoDev || code == -Libc.ENoEnt)
            {
                return null;
            }

            ThrowOnError(code, error, $"reading interface {name}");
            return ParseLink(reply);
        }
    }

    /// <summary>The interface with index <paramref name="ifindex"/>, or null.</summary>
    public static LinkInfo? GetLink(NetlinkSocket netlink, int ifindex)
    {
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmGetLink, 0);
            BinaryPrimitives.WriteInt32LittleEndian(request.Reserve(IfInfoSize)[4..], ifindex);
            request.Attribute(IflaExtMask, RtextFilterSkipStats);
            var code = netlink.Transact(ref request, out var reply, out var error);
            if (code == -Libc.ENoDev || code == -Libc.ENoEnt)
            {
                return null;
            }

            ThrowOnError(code, error, $"reading interface {ifindex}");
            return ParseLink(reply);
        }
    }

    /// <summary>The usable addresses of an interface (tentative and failed IPv6 addresses left out), IPv4 first.</summary>
    public static List<IPAddress> GetAddresses(NetlinkSocket netlink, int ifindex)
    {
        var v4 = new List<IPAddress>();
        var v6 = new List<IPAddress>();
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmGetAddr, NetlinkSocket.FlagDump);
            request.Reserve(IfAddrSize);
            var code = netlink.Transact(ref request, out var reply, out var error);
            ThrowOnError(code, error, "reading interface addresses");
            var reader = new NetlinkReader(reply);
            while (reader.TryNext(out var message))
            {
                if (message.Type != RtmNewAddr || message.Payload.Length < IfAddrSize)
                {
                    continue;
                }

                var family = message.Payload[0];
                uint flags = message.Payload[2];
                var index = (int)BinaryPrimitives.ReadUInt32LittleEndian(message.Payload[4..]);
                if (index != ifindex)
                {
                    continue;
                }

                byte[]? local = null;
                byte[]? address = null;
                foreach (var attribute in message.Attributes(IfAddrSize))
                {
                    switch (attribute.Type)
                    {
                        case IfaLocal:
                            local = attribute.Value.ToArray();
                            break;
                        case IfaAddress:
                            address = attribute.Value.ToArray();
                            break;
                        case IfaFlags:
                            flags = attribute.UInt32;
                            break;
                    }
                }

                if ((flags & (IfaFlagTentative | IfaFlagDadFailed)) != 0)
                {
                    continue;
                }

                var bytes = local ?? address;
                if (bytes is null || (family == Libc.AfInet && bytes.Length != 4) || (family == Libc.AfInet6 && bytes.Length != 16))
                {
                    continue;
                }

                var ip = new IPAddress(bytes);
                if (family == Libc.AfInet6 && ip.IsIPv6LinkLocal)
                {
                    ip.ScopeId = ifindex;
                }

                (family == Libc.AfInet ? v4 : v6).Add(ip);
            }
        }

        // Global IPv6 addresses before link-local ones: a service is reached by its global address.
        v6.Sort((a, b) => a.IsIPv6LinkLocal.CompareTo(b.IsIPv6LinkLocal));
        v4.AddRange(v6);
        return v4;
    }

    /// <summary>
    /// Asks the kernel how it would send to <paramref name="destination"/> (4 or 16 bytes) out of
    /// <paramref name="ifindex"/>. Returns 0, or a negative errno (no route: ENETUNREACH, EHOSTUNREACH...).
    /// </summary>
    public static int LookupRoute(NetlinkSocket netlink, ReadOnlySpan<byte> destination, int ifindex, out RouteLookup route)
    {
        route = default;
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmGetRoute, 0);
            var header = request.Reserve(RtMsgSize);
            header[0] = (byte)(destination.Length == 4 ? Libc.AfInet : Libc.AfInet6);
            header[1] = (byte)(destination.Length * 8);
            request.Attribute(RtaDst, destination);
            request.Attribute(RtaOif, (uint)ifindex);
            var code = netlink.Transact(ref request, out var reply, out _);
            if (code != 0)
            {
                return code;
            }

            var reader = new NetlinkReader(reply);
            while (reader.TryNext(out var message))
            {
                if (message.Type != RtmNewRoute || message.Payload.Length < RtMsgSize)
                {
                    continue;
                }

                route.Type = message.Payload[7];
                foreach (var attribute in message.Attributes(RtMsgSize))
                {
                    switch (attribute.Type)
                    {
                        case RtaOif:
                            route.OutputInterface = (int)attribute.UInt32;
                            break;
                        case RtaGateway:
                            route.HasGateway = attribute.Value.Length == destination.Length;
                            route.Gateway = Address16.From(attribute.Value);
                            break;
                        case RtaPrefSrc:
                            route.HasPreferredSource = attribute.Value.Length == destination.Length;
                            route.PreferredSource = Address16.From(attribute.Value);
                            break;
                    }
                }

                return 0;
            }

            return -Libc.ENoEnt;
        }
    }

    /// <summary>
    /// The kernel's neighbour entry for <paramref name="address"/> on <paramref name="ifindex"/>: its state (0 when
    /// there is none) and, when it has one, the link-layer address written to <paramref name="mac"/> (6 bytes).
    /// </summary>
    public static ushort GetNeighbour(NetlinkSocket netlink, int ifindex, ReadOnlySpan<byte> address, Span<byte> mac, out bool hasMac)
    {
        hasMac = false;
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmGetNeigh, 0);
            var header = request.Reserve(NdMsgSize);
            header[0] = (byte)(address.Length == 4 ? Libc.AfInet : Libc.AfInet6);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], ifindex);
            request.Attribute(NdaDst, address);
            if (netlink.Transact(ref request, out var reply, out _) != 0)
            {
                return 0;
            }

            var reader = new NetlinkReader(reply);
            while (reader.TryNext(out var message))
            {
                if (message.Type != RtmNewNeigh || message.Payload.Length < NdMsgSize)
                {
                    continue;
                }

                var state = BinaryPrimitives.ReadUInt16LittleEndian(message.Payload[8..]);
                foreach (var attribute in message.Attributes(NdMsgSize))
                {
                    if (attribute.Type == NdaLladdr && attribute.Value.Length == 6)
                    {
                        attribute.Value.CopyTo(mac);
                        hasMac = true;
                    }
                }

                return state;
            }

            return 0;
        }
    }

    /// <summary>
    /// Makes the kernel resolve <paramref name="address"/> on <paramref name="ifindex"/> as if a packet were waiting for
    /// it (RTM_NEWNEIGH with NTF_USE, creating the entry if needed): ARP or neighbour discovery goes out, and the answer
    /// lands in the neighbour table. Returns 0 or a negative errno.
    /// </summary>
    public static int RequestResolution(NetlinkSocket netlink, int ifindex, ReadOnlySpan<byte> address)
    {
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmNewNeigh, NetlinkSocket.FlagCreate | NetlinkSocket.FlagAck);
            var header = request.Reserve(NdMsgSize);
            header[0] = (byte)(address.Length == 4 ? Libc.AfInet : Libc.AfInet6);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], ifindex);
            header[10] = NtfUse;
            request.Attribute(NdaDst, address);
            return netlink.Transact(ref request, out _, out _);
        }
    }

    /// <summary>Attaches a program through IFLA_XDP (no BPF link: it stays attached until detached). Returns 0 or a negative errno and the kernel's words.</summary>
    public static int AttachXdp(NetlinkSocket netlink, int ifindex, int programFd, uint flags, out string? error)
    {
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmSetLink, NetlinkSocket.FlagAck);
            var header = request.Reserve(IfInfoSize);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], ifindex);
            var nested = request.BeginNested(IflaXdp);
            request.Attribute(IflaXdpFd, (uint)programFd);
            request.Attribute(IflaXdpFlags, flags | XdpFlagsUpdateIfNoExist);
            request.EndNested(nested);
            return netlink.Transact(ref request, out _, out error);
        }
    }

    /// <summary>Detaches the program attached through IFLA_XDP, but only if it is still <paramref name="programFd"/>'s (never someone else's).</summary>
    public static int DetachXdp(NetlinkSocket netlink, int ifindex, int programFd, uint modeFlags)
    {
        lock (netlink.Gate)
        {
            var request = netlink.Begin(RtmSetLink, NetlinkSocket.FlagAck);
            var header = request.Reserve(IfInfoSize);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], ifindex);
            var nested = request.BeginNested(IflaXdp);
            request.Attribute(IflaXdpFd, unchecked((uint)-1));
            request.Attribute(IflaXdpFlags, modeFlags | XdpFlagsReplace);
            request.Attribute(IflaXdpExpectedFd, (uint)programFd);
            request.EndNested(nested);
            return netlink.Transact(ref request, out _, out _);
        }
    }

    private static LinkInfo? ParseLink(ReadOnlySpan<byte> reply)
    {
        var reader = new NetlinkReader(reply);
        while (reader.TryNext(out var message))
        {
            if (message.Type != RtmNewLink || message.Payload.Length < IfInfoSize)
            {
                continue;
            }

            var index = BinaryPrimitives.ReadInt32LittleEndian(message.Payload[4..]);
            var up = (BinaryPrimitives.ReadUInt32LittleEndian(message.Payload[8..]) & IffUp) != 0;
            var name = string.Empty;
            var mac = Array.Empty<byte>();
            var mtu = 0;
            var queues = 1;
            var attached = default(XdpAttachedProgram);
            foreach (var attribute in message.Attributes(IfInfoSize))
            {
                switch (attribute.Type)
                {
                    case IflaIfname:
                        var text = attribute.Value;
                        var end = text.IndexOf((byte)0);
                        name = Encoding.UTF8.GetString(end >= 0 ? text[..end] : text);
                        break;
                    case IflaAddress:
                        mac = attribute.Value.ToArray();
                        break;
                    case IflaMtu:
                        mtu = (int)attribute.UInt32;
                        break;
                    case IflaNumRxQueues:
                        queues = (int)attribute.UInt32;
                        break;
                    case IflaXdp:
                        attached = ParseXdp(attribute.Value);
                        break;
                }
            }

            return new LinkInfo(index, name, mac, mtu, Math.Max(1, queues), up, attached);
        }

        return null;
    }

    private static XdpAttachedProgram ParseXdp(ReadOnlySpan<byte> nested)
    {
        byte mode = 0;
        uint id = 0;
        foreach (var attribute in new NetlinkAttributes(nested))
        {
            if (attribute.Type == IflaXdpAttached)
            {
                mode = attribute.UInt8;
            }
            else if (attribute.Type == IflaXdpProgId)
            {
                id = attribute.UInt32;
            }
        }

        return new XdpAttachedProgram(mode, id);
    }

    private static void ThrowOnError(int code, string? error, string what)
    {
        if (code != 0)
        {
            throw new XdpException($"Netlink failed {what}: {Libc.Describe(-code)}{(error is null ? string.Empty : ": " + error)}.");
        }
    }
}
