using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Transport.Xdp.Frames;

/// <summary>Who the transport is on the wire: the interface's MAC address and index, its IPv4 and IPv6 addresses, and the port.</summary>
internal sealed class LocalIdentity
{
    private readonly uint[] _ipv4;
    private readonly UInt128[] _ipv6;

    public LocalIdentity(byte[] mac, int ifindex, IReadOnlyList<IPAddress> addresses, ushort port)
    {
        if (mac.Length != 6)
        {
            throw new ArgumentException("An Ethernet MAC address has 6 bytes.", nameof(mac));
        }

        Mac = mac;
        InterfaceIndex = ifindex;
        Port = port;
        var v4 = new List<uint>();
        var v6 = new List<UInt128>();
        Span<byte> bytes = stackalloc byte[16];
        foreach (var address in addresses)
        {
            address.TryWriteBytes(bytes, out var written);
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                v4.Add(BinaryPrimitives.ReadUInt32BigEndian(bytes));
            }
            else if (written == 16)
            {
                v6.Add(BinaryPrimitives.ReadUInt128BigEndian(bytes));
            }
        }

        _ipv4 = [.. v4];
        _ipv6 = [.. v6];
        Addresses = addresses;
    }

    public byte[] Mac { get; }

    public int InterfaceIndex { get; }

    public ushort Port { get; }

    public IReadOnlyList<IPAddress> Addresses { get; }

    public bool HasIPv4 => _ipv4.Length > 0;

    public bool HasIPv6 => _ipv6.Length > 0;

    public bool IsLocal(uint ipv4) => Array.IndexOf(_ipv4, ipv4) >= 0;

    public bool IsLocal(UInt128 ipv6) => Array.IndexOf(_ipv6, ipv6) >= 0;

    /// <summary>Whether <paramref name="address"/> (4 or 16 bytes) is one of this interface's addresses.</summary>
    public bool IsLocal(ReadOnlySpan<byte> address)
        => address.Length == 4 ? IsLocal(BinaryPrimitives.ReadUInt32BigEndian(address)) : IsLocal(BinaryPrimitives.ReadUInt128BigEndian(address));

    /// <summary>The first IPv4 address (4 bytes) or IPv6 address of the given kind (16 bytes) into <paramref name="destination"/>; false when there is none.</summary>
    public bool TryWriteSource(bool ipv4, bool linkLocal, Span<byte> destination)
    {
        if (ipv4)
        {
            if (_ipv4.Length == 0)
            {
                return false;
            }

            BinaryPrimitives.WriteUInt32BigEndian(destination, _ipv4[0]);
            return true;
        }

        foreach (var candidate in _ipv6)
        {
            var isLinkLocal = (candidate >> 118) == 0x3FA; // fe80::/10
            if (isLinkLocal == linkLocal)
            {
                BinaryPrimitives.WriteUInt128BigEndian(destination, candidate);
                return true;
            }
        }

        if (_ipv6.Length == 0)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt128BigEndian(destination, _ipv6[0]);
        return true;
    }
}
