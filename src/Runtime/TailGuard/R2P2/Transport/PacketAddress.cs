using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.R2P2;

/// <summary>
/// An IPv4 or IPv6 address and a UDP port, as a value (no allocation). R2P2 identifies an RPC by (client address, client
/// port, rid). An IPv4 address is kept in its IPv4-mapped IPv6 form (<c>::ffff:a.b.c.d</c>), so an IPv4 client seen
/// through a dual-stack IPv6 socket and the same client seen through an IPv4 socket are one address.
/// </summary>
public readonly struct PacketAddress : IEquatable<PacketAddress>
{
    // The 16 address bytes as two big-endian halves, bytes 0-7 and 8-15. The low half is stored XOR the IPv4-mapped
    // prefix so that default(PacketAddress) is 0.0.0.0:0, as it was when addresses were IPv4 only.
    private const ulong MappedPrefix = 0x0000_FFFF_0000_0000;
    private readonly ulong _high;
    private readonly ulong _lowXorMapped;

    /// <summary>Creates an IPv4 address.</summary>
    /// <param name="ipv4">The IPv4 address as a number, first octet most significant (10.0.0.1 is 0x0A000001).</param>
    /// <param name="port">The UDP port.</param>
    public PacketAddress(uint ipv4, ushort port)
    {
        _high = 0;
        _lowXorMapped = ipv4;
        Port = port;
        ScopeId = 0;
    }

    /// <summary>Creates an address from its bytes: 4 for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address is IPv4).</summary>
    /// <param name="address">The address bytes in network order.</param>
    /// <param name="port">The UDP port.</param>
    /// <param name="scopeId">The IPv6 scope (interface index) of a link-local address; 0 otherwise.</param>
    /// <exception cref="ArgumentException">The address is neither 4 nor 16 bytes, or an IPv4 address has a scope.</exception>
    public PacketAddress(ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        if (address.Length == 4)
        {
            if (scopeId != 0)
            {
                throw new ArgumentException("An IPv4 address has no scope id.", nameof(scopeId));
            }

            _high = 0;
            _lowXorMapped = BinaryPrimitives.ReadUInt32BigEndian(address);
        }
        else if (address.Length == 16)
        {
            _high = BinaryPrimitives.ReadUInt64BigEndian(address);
            _lowXorMapped = BinaryPrimitives.ReadUInt64BigEndian(address[8..]) ^ MappedPrefix;
        }
        else
        {
            throw new ArgumentException($"An address is 4 (IPv4) or 16 (IPv6) bytes, not {address.Length}.", nameof(address));
        }

        Port = port;
        ScopeId = IsIPv4 ? 0 : scopeId;
    }

    private PacketAddress(ulong high, ulong lowXorMapped, ushort port, uint scopeId)
    {
        _high = high;
        _lowXorMapped = lowXorMapped;
        Port = port;
        ScopeId = scopeId;
    }

    /// <summary>The UDP port.</summary>
    public ushort Port { get; }

    /// <summary>The IPv6 scope id (interface index) of a link-local address; 0 for IPv4 and global addresses.</summary>
    public uint ScopeId { get; }

    /// <summary>The host this address belongs to, as per-source quotas count it (see <see cref="Protocol.SourceKey"/>).</summary>
    internal Protocol.SourceKey Source => IsIPv4 ? new Protocol.SourceKey(0, _lowXorMapped) : new Protocol.SourceKey(_high, ulong.MaxValue);

    /// <summary>Whether this is an IPv4 address.</summary>
    public bool IsIPv4 => _high == 0 && (_lowXorMapped >> 32) == 0;

    /// <summary>Whether this is an IPv6 address (not IPv4-mapped).</summary>
    public bool IsIPv6 => !IsIPv4;

    /// <summary>The address family: <see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    public AddressFamily AddressFamily => IsIPv4 ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;

    /// <summary>The IPv4 address, first octet most significant.</summary>
    /// <exception cref="InvalidOperationException">The address is IPv6.</exception>
    public uint IPv4 => IsIPv4 ? (uint)_lowXorMapped : throw new InvalidOperationException($"{this} is an IPv6 address; it has no IPv4 form.");

    /// <summary>Whether this is the default value (0.0.0.0:0 or [::]:0 with no scope).</summary>
    public bool IsEmpty => Port == 0 && ScopeId == 0 && _high == 0 && (_lowXorMapped == 0 || _lowXorMapped == MappedPrefix);

    /// <summary>The same address with another port.</summary>
    /// <param name="port">The port.</param>
    /// <returns>The address.</returns>
    public PacketAddress WithPort(ushort port) => new(_high, _lowXorMapped, port, ScopeId);

    /// <summary>Converts an endpoint (IPv4, IPv6, or IPv4-mapped IPv6, which becomes IPv4).</summary>
    /// <param name="endPoint">The endpoint.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">The endpoint is neither IPv4 nor IPv6.</exception>
    public static PacketAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var ip = endPoint.Address;
        if (ip.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"R2P2 runs over IPv4 or IPv6; '{endPoint}' is neither.", nameof(endPoint));
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out var written);
        var scope = ip.AddressFamily == AddressFamily.InterNetworkV6 ? (uint)ip.ScopeId : 0;
        return new PacketAddress(bytes[..written], (ushort)endPoint.Port, scope);
    }

    /// <summary>Parses "a.b.c.d:port" or "[IPv6]:port" (a scope as in "[fe80::1%2]:9000").</summary>
    /// <param name="text">The address text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">The text is not an address and port.</exception>
    public static PacketAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var address)
            ? address
            : throw new FormatException($"'{text}' is not an address and port such as 127.0.0.1:9000 or [::1]:9000.");
    }

    /// <summary>Parses "a.b.c.d:port" or "[IPv6]:port" without throwing.</summary>
    /// <param name="text">The address text.</param>
    /// <param name="address">The address, when the text is one.</param>
    /// <returns>Whether the text is an address and port.</returns>
    public static bool TryParse(string? text, out PacketAddress address)
    {
        address = default;

        // IPEndPoint.TryParse takes "::1" (no port) as an address with port 0 and "1.2.3.4" likewise: insist on a port.
        if (text is null || !IPEndPoint.TryParse(text, out var endPoint) || !HasExplicitPort(text)
            || endPoint.Address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return false;
        }

        address = FromEndPoint(endPoint);
        return true;
    }

    /// <summary>Writes the address bytes: 4 for IPv4, 16 for IPv6.</summary>
    /// <param name="destination">At least 4 (IPv4) or 16 (IPv6) bytes.</param>
    /// <returns>How many bytes were written.</returns>
    /// <exception cref="ArgumentException">The destination is too small.</exception>
    public int WriteAddressBytes(Span<byte> destination)
    {
        if (IsIPv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination.Length >= 4 ? destination : throw TooSmall(4, nameof(destination)), (uint)_lowXorMapped);
            return 4;
        }

        if (destination.Length < 16)
        {
            throw TooSmall(16, nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lowXorMapped ^ MappedPrefix);
        return 16;
    }

    /// <summary>Writes the 16 bytes of the IPv6 form (IPv4 as <c>::ffff:a.b.c.d</c>), as a dual-stack socket needs.</summary>
    /// <param name="destination">At least 16 bytes.</param>
    public void WriteIPv6Bytes(Span<byte> destination)
    {
        if (destination.Length < 16)
        {
            throw TooSmall(16, nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lowXorMapped ^ MappedPrefix);
    }

    /// <summary>Converts to an <see cref="IPEndPoint"/> (allocates).</summary>
    /// <returns>The endpoint.</returns>
    public IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        var length = WriteAddressBytes(bytes);
        var ip = length == 4 ? new IPAddress(bytes[..4]) : new IPAddress(bytes, ScopeId);
        return new IPEndPoint(ip, Port);
    }

    /// <inheritdoc/>
    public bool Equals(PacketAddress other) => _lowXorMapped == other._lowXorMapped && _high == other._high && Port == other.Port && ScopeId == other.ScopeId;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PacketAddress other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _lowXorMapped, Port, ScopeId);

    /// <summary>"a.b.c.d:port" for IPv4, "[address]:port" for IPv6 (allocates).</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        if (IsIPv4)
        {
            var ip = (uint)_lowXorMapped;
            return string.Create(CultureInfo.InvariantCulture, $"{ip >> 24}.{(ip >> 16) & 0xFF}.{(ip >> 8) & 0xFF}.{ip & 0xFF}:{Port}");
        }

        return ToEndPoint().ToString();
    }

    /// <summary>Compares two addresses.</summary>
    /// <param name="left">One address.</param>
    /// <param name="right">The other address.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(PacketAddress left, PacketAddress right) => left.Equals(right);

    /// <summary>Compares two addresses.</summary>
    /// <param name="left">One address.</param>
    /// <param name="right">The other address.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(PacketAddress left, PacketAddress right) => !left.Equals(right);

    private static bool HasExplicitPort(string text)
    {
        var colon = text.LastIndexOf(':');
        var bracket = text.LastIndexOf(']');
        return colon > 0 && colon < text.Length - 1 && (text.StartsWith('[') ? bracket == colon - 1 : text.IndexOf(':') == colon);
    }

    private static ArgumentException TooSmall(int needed, string paramName) => new($"The destination must hold at least {needed} bytes.", paramName);
}
