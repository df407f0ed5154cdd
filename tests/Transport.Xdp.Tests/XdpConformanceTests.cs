using System;
using TailGuard.Tests.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;

namespace TailGuard.Transport.Xdp.Tests;

// The R2P2 conformance cases 1-14 (docs/design/r2p2.md) across a veth pair between two network namespaces: AF_XDP on
// one side, kernel UDP on the other, in both directions (the AF_XDP endpoint is the code under test, or the raw peer
// that plays its counterpart byte for byte), over IPv4 and IPv6, single- and multi-packet messages.

[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpCodeUnderTestConformanceTests(VethFixture veth)
    : ConformanceTests(new XdpTestNetwork(veth.Pair, XdpSide.CodeUnderTest, ipv6: false)), IClassFixture<VethFixture>;

[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpPeerConformanceTests(VethFixture veth)
    : ConformanceTests(new XdpTestNetwork(veth.Pair, XdpSide.Peer, ipv6: false)), IClassFixture<VethFixture>;

[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpCodeUnderTestIPv6ConformanceTests(VethFixture veth)
    : IPv6ConformanceTests(new XdpTestNetwork(veth.Pair, XdpSide.CodeUnderTest, ipv6: true)), IClassFixture<VethFixture>;

[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class XdpPeerIPv6ConformanceTests(VethFixture veth)
    : IPv6ConformanceTests(new XdpTestNetwork(veth.Pair, XdpSide.Peer, ipv6: true)), IClassFixture<VethFixture>;
