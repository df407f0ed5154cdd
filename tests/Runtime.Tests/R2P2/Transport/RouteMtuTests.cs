using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>
/// The MTU limit (docs/operations.md, "MTU and payload size"; docs/router.md): a datagram is the payload plus 36 bytes of
/// headers over IPv4 and 56 over IPv6, so on a 1500-byte link IPv6 carries at most 1444 payload bytes whole. Clients,
/// servers behind a router and routers lower the default payload size to the largest the route carries, and refuse, at
/// creation and naming the largest size that fits, any other payload size the route cannot carry (a router cannot
/// forward such a request at all: it keeps its size and is never fragmented). Run on the loopback device of a namespace
/// of the test's own, set to a 1500-byte MTU.
/// </summary>
[RequiresNetwork(NetworkCapability.NetworkNamespaces)]
public sealed class RouteMtuTests
{
    [NetworkFact]
    public void A_client_refuses_a_payload_size_the_route_cannot_carry_whole_and_takes_the_largest_that_fits()
    {
        using var space = LoopbackNamespace.Create(mtu: 1500);
        space.Run(() =>
        {
            using var server6 = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new EchoHandler(), new R2P2ServerOptions { PayloadSize = 1444 });
            var error = Assert.Throws<ArgumentException>(() => R2P2Client.CreateUdp(server6.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1445 }));
            Assert.Contains("1501-byte IPv6 packets", error.Message);
            Assert.Contains("1500-byte MTU", error.Message);
            Assert.Contains("set it to 1444 or less", error.Message);

            using (var client = R2P2Client.CreateUdp(server6.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1444, Timeout = Payloads.Generous }))
            {
                var payload = Payloads.Make(5000, tag: 6);
                using var response = client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous).GetAwaiter().GetResult();
                Assert.Equal(payload, Payloads.ToArray(response.Payload));
            }

            // The default (1464, 1520-byte IPv6 packets) is lowered to 1444: a 1464-byte request then takes two packets,
            // which the server acknowledges, and the caller's options keep their value.
            var defaults = new R2P2ClientOptions { Timeout = Payloads.Generous };
            using (var fitted = R2P2Client.CreateUdp(server6.LocalAddress.ToEndPoint(), defaults))
            {
                var acks = server6.Statistics.Acks;
                var payload = Payloads.Make(1464, tag: 7);
                using var response = fitted.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous).GetAwaiter().GetResult();
                Assert.Equal(payload, Payloads.ToArray(response.Payload));
                Assert.Equal(acks + 1, server6.Statistics.Acks);
                Assert.Equal(1464, defaults.PayloadSize);
            }

            using var server4 = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler());
            var error4 = Assert.Throws<ArgumentException>(() => R2P2Client.CreateUdp(server4.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1465 }));
            Assert.Contains("set it to 1464 or less", error4.Message);
            using var client4 = R2P2Client.CreateUdp(server4.LocalAddress.ToEndPoint()); // the default fits a 1500-byte IPv4 link exactly
            return 0;
        });
    }

    [NetworkFact]
    public void A_server_behind_a_router_refuses_a_payload_size_the_route_to_it_cannot_carry_and_lowers_the_default()
    {
        using var space = LoopbackNamespace.Create(mtu: 1500);
        space.Run(() =>
        {
            using var feedback = UdpTransport.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            var error = Assert.Throws<ArgumentException>(() => R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new EchoHandler(), new R2P2ServerOptions { RouterAddress = feedback.LocalAddress, PayloadSize = 1445 }));
            Assert.Contains("R2P2ServerOptions.PayloadSize 1445", error.Message);
            using var fits = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new EchoHandler(), new R2P2ServerOptions { RouterAddress = feedback.LocalAddress, PayloadSize = 1444 });

            // The default is lowered to 1444: a 1464-byte request takes two packets (one ACK) and is answered whole.
            using var lowered = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new EchoHandler(), new R2P2ServerOptions { RouterAddress = feedback.LocalAddress });
            using var client = R2P2Client.CreateUdp(lowered.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1444, Timeout = Payloads.Generous });
            var payload = Payloads.Make(3000, tag: 9); // a two-packet response: the server's responses are 1444-byte packets
            using var response = client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous).GetAwaiter().GetResult();
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
            return 0;
        });
    }
}
