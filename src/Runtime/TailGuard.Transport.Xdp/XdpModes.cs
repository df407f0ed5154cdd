namespace TailGuard.Transport.Xdp;

/// <summary>How the XDP program is attached to the interface.</summary>
public enum XdpAttachMode
{
    /// <summary>Native where the driver supports it, else generic (the default).</summary>
    Auto,

    /// <summary>In the driver, before any socket buffer is allocated (XDP_FLAGS_DRV_MODE): the fast path.</summary>
    Native,

    /// <summary>In the kernel's generic receive path, after the socket buffer (XDP_FLAGS_SKB_MODE): works on any interface, slower.</summary>
    Generic,
}

/// <summary>How the AF_XDP socket moves packets between the device and the UMEM.</summary>
public enum XdpBindMode
{
    /// <summary>Zero-copy where the driver supports it, else copy (the default).</summary>
    Auto,

    /// <summary>The device reads and writes the UMEM frames directly (XDP_ZEROCOPY; needs driver support).</summary>
    ZeroCopy,

    /// <summary>The kernel copies each packet between its own buffers and the UMEM (XDP_COPY; works everywhere, e.g. veth).</summary>
    Copy,
}

/// <summary>What an R2P2 factory does when AF_XDP cannot be used here (<see cref="XdpUnavailableException"/>).</summary>
public enum XdpFallback
{
    /// <summary>Throw the <see cref="XdpUnavailableException"/> (the default).</summary>
    None,

    /// <summary>Use kernel UDP sockets on the interface's address instead, and say so in a warning log line.</summary>
    UdpSockets,
}

/// <summary>Why a received frame was dropped (each counted in <see cref="XdpStatistics"/>).</summary>
public enum XdpDropReason
{
    /// <summary>The frame ends inside its Ethernet, IP or UDP header.</summary>
    TruncatedHeader,

    /// <summary>Not an IPv4 or IPv6 UDP datagram the transport takes: another EtherType, IP version or protocol, or IPv6 extension headers.</summary>
    Unsupported,

    /// <summary>Not addressed to this host: another destination MAC (or a multicast one) or another destination IP address.</summary>
    NotAddressedHere,

    /// <summary>Lengths that disagree: the IP total or payload length against the frame, or the UDP length against the IP payload.</summary>
    BadLength,

    /// <summary>A wrong IPv4 header checksum.</summary>
    BadIPChecksum,

    /// <summary>A wrong UDP checksum, or a zero (absent) UDP checksum over IPv6, where it is mandatory.</summary>
    BadUdpChecksum,

    /// <summary>An IPv4 header with options (header length above 20 bytes).</summary>
    IPOptions,

    /// <summary>An IP fragment (IPv4 more-fragments flag or offset; the transport does not reassemble).</summary>
    Fragment,

    /// <summary>A UDP destination port other than the transport's.</summary>
    WrongPort,

    /// <summary>A datagram larger than the receive slot the caller offered.</summary>
    TooLarge,

    /// <summary>A descriptor from the kernel that points outside the UMEM (never expected; counted rather than trusted).</summary>
    BadDescriptor,
}
