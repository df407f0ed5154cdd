using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.R2P2;

/// <summary>
/// An IPv4 address and UDP port, as a value (no allocation). R2P2 identifies an RPC by (client IPv4, client port, rid)
/// and FEEDBACK carries an IPv4 address, so the runtime speaks IPv4 only.
/// </summary>
public readonly struct PacketAddress : IEquatable<PacketAddress>
{
    /// <summary>Creates an address.</summary>
    /// <param name="ipv4">The IPv4 address as a number, first octet most significant (10.0.0.1 is 0x0A000001).</param>
    /// <param name="port">The UDP port.</param>
    public PacketAddress(uint ipv4, ushort port)
    {
        IPv4 = ipv4;
        Port = port;
    }

    /// <summary>The IPv4 address, first octet most significant.</summary>
    public uint IPv4 { get; }

    /// <summary>The UDP port.</summary>
    public ushort Port { get; }

    /// <summary>Whether this is the default (0.0.0.0:0) value.</summary>
    public bool IsEmpty => IPv4 == 0 && Port == 0;

    /// <summary>Converts an IPv4 endpoint.</summary>
    /// <param name="endPoint">An IPv4 endpoint (IPv4-mapped IPv6 is accepted).</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">The endpoint is not IPv4.</exception>
    public static PacketAddress FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var ip = endPoint.Address;
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"R2P2 speaks IPv4 only; '{endPoint}' is not an IPv4 endpoint.", nameof(endPoint));
        }

        Span<byte> bytes = stackalloc byte[4];
        ip.TryWriteBytes(bytes, out _);
        return new PacketAddress(BinaryPrimitives.ReadUInt32BigEndian(bytes), (ushort)endPoint.Port);
    }

    /// <summary>Parses "a.b.c.d:port".</summary>
    /// <param name="text">The address text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">The text is not an IPv4 address and port.</exception>
    public static PacketAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IPEndPoint.TryParse(text, out var endPoint) || endPoint.Address.AddressFamily != AddressFamily.InterNetwork || endPoint.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not an IPv4 address and port such as 127.0.0.1:9000.");
        }

        return FromEndPoint(endPoint);
    }

    /// <summary>Converts to an <see cref="IPEndPoint"/> (allocates).</summary>
    /// <returns>The endpoint.</returns>
    public IPEndPoint ToEndPoint() => new(new IPAddress(BinaryPrimitives.ReverseEndianness(IPv4)), Port);

    /// <inheritdoc/>
    public bool Equals(PacketAddress other) => IPv4 == other.IPv4 && Port == other.Port;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PacketAddress other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(IPv4, Port);

    /// <inheritdoc/>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{IPv4 >> 24}.{(IPv4 >> 16) & 0xFF}.{(IPv4 >> 8) & 0xFF}.{IPv4 & 0xFF}:{Port}");

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
}
