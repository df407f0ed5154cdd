namespace TailGuard.Transport.Xdp.Frames;

/// <summary>Header sizes and fields of the frames the transport sends and takes: Ethernet II, IPv4 without options or IPv6, UDP.</summary>
internal static class FrameLayout
{
    public const int EthernetHeader = 14;
    public const int IPv4Header = 20;
    public const int IPv6Header = 40;
    public const int UdpHeader = 8;
    public const int IPv4Headers = EthernetHeader + IPv4Header + UdpHeader;
    public const int IPv6Headers = EthernetHeader + IPv6Header + UdpHeader;
    public const ushort EtherTypeIPv4 = 0x0800;
    public const ushort EtherTypeIPv6 = 0x86DD;
    public const byte ProtocolUdp = 17;
    public const byte NextHeaderFragment = 44;
    public const byte HopLimit = 64;

    /// <summary>Room before a rented buffer's payload: the largest header (IPv6, 62 bytes), rounded up.</summary>
    public const int Headroom = 64;
}
