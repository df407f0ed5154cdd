using System;
using System.Net;
using System.Net.Sockets;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>Addresses of both families as values: parsing, formatting, equality across the IPv4-mapped form.</summary>
public sealed class PacketAddressTests
{
    [Fact]
    public void IPv4_addresses_keep_their_number_text_and_default()
    {
        var address = PacketAddress.Parse("10.1.2.3:4660");

        Assert.True(address.IsIPv4);
        Assert.Equal(0x0A010203u, address.IPv4);
        Assert.Equal(4660, address.Port);
        Assert.Equal("10.1.2.3:4660", address.ToString());
        Assert.Equal(new PacketAddress(0x0A010203, 4660), address);
        Assert.Equal(new PacketAddress(0, 0), default);
        Assert.True(default(PacketAddress).IsEmpty);
        Assert.True(default(PacketAddress).IsIPv4);
    }

    [Theory]
    [InlineData("[::1]:9000", "::1")]
    [InlineData("[fd00::7]:1", "fd00::7")]
    [InlineData("[2001:db8::ff00:42:8329]:65535", "2001:db8::ff00:42:8329")]
    public void IPv6_addresses_parse_format_and_round_trip_through_endpoints(string text, string ip)
    {
        var address = PacketAddress.Parse(text);

        Assert.True(address.IsIPv6);
        Assert.Equal(AddressFamily.InterNetworkV6, address.AddressFamily);
        Assert.Equal(text, address.ToString());
        Assert.Equal(IPAddress.Parse(ip), address.ToEndPoint().Address);
        Assert.Equal(address, PacketAddress.FromEndPoint(address.ToEndPoint()));
        Assert.Throws<InvalidOperationException>(() => address.IPv4);
    }

    [Fact]
    public void An_IPv4_mapped_IPv6_endpoint_is_the_IPv4_address()
    {
        var mapped = PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 80));
        var bytes = new byte[16];
        mapped.WriteIPv6Bytes(bytes);

        Assert.Equal(PacketAddress.Parse("127.0.0.1:80"), mapped);
        Assert.True(mapped.IsIPv4);
        Assert.Equal(IPAddress.Parse("::ffff:127.0.0.1").GetAddressBytes(), bytes);
        Assert.Equal(PacketAddress.Parse("127.0.0.1:80"), new PacketAddress(bytes, 80));
    }

    [Fact]
    public void A_link_local_scope_is_part_of_the_address()
    {
        var scoped = PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("fe80::1%3"), 9000));

        Assert.Equal(3u, scoped.ScopeId);
        Assert.NotEqual(PacketAddress.Parse("[fe80::1]:9000"), scoped);
        Assert.Equal(3, scoped.ToEndPoint().Address.ScopeId);
    }

    [Fact]
    public void Ports_change_without_changing_the_address()
    {
        var v6 = PacketAddress.Parse("[fd00::1]:0").WithPort(40000);
        var v4 = PacketAddress.Parse("10.0.0.1:0").WithPort(1);

        Assert.Equal(PacketAddress.Parse("[fd00::1]:40000"), v6);
        Assert.Equal(PacketAddress.Parse("10.0.0.1:1"), v4);
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("10.0.0.1")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    [InlineData("10.0.0.1:70000")]
    [InlineData("")]
    public void Text_without_an_address_and_port_is_refused(string text)
    {
        Assert.False(PacketAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => PacketAddress.Parse(text));
    }

    [Fact]
    public void Address_bytes_are_4_for_IPv4_and_16_for_IPv6_and_other_lengths_are_refused()
    {
        var buffer = new byte[16];
        Assert.Equal(4, PacketAddress.Parse("1.2.3.4:5").WriteAddressBytes(buffer));
        Assert.Equal([1, 2, 3, 4], buffer[..4]);
        Assert.Equal(16, PacketAddress.Parse("[::2]:5").WriteAddressBytes(buffer));
        Assert.Throws<ArgumentException>(() => PacketAddress.Parse("[::2]:5").WriteAddressBytes(new byte[4]));
        Assert.Throws<ArgumentException>(() => new PacketAddress(new byte[5], 1));
        Assert.Throws<ArgumentException>(() => new PacketAddress(new byte[4], 1, scopeId: 2));
    }
}
