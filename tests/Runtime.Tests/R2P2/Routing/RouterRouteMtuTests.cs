using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Routing;

/// <summary>
/// The MTU limit for routers (docs/router.md; docs/operations.md, "MTU and payload size"): a router forwards a request
/// whole, with the size it came in, so it lowers its default payload size to the narrowest route among its servers and
/// refuses, naming the server and the largest size that fits, a payload size one of those routes cannot carry. Run on
/// the loopback device of a namespace of the test's own; forwarding needs a raw socket.
/// </summary>
[RequiresNetwork(NetworkCapability.NetworkNamespaces)]
[RequiresNetwork(NetworkCapability.RawSockets)]
public sealed class RouterRouteMtuTests
{
    [NetworkFact]
    public void A_router_refuses_a_server_it_could_not_forward_full_requests_to_and_forwards_the_largest_that_fit()
    {
        using var space = LoopbackNamespace.Create(mtu: 1500);
        space.Run(() =>
        {
            using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.IPv6Loopback, 0), new EchoHandler(), new R2P2ServerOptions { PayloadSize = 1444 });
            var listen = new IPEndPoint(IPAddress.IPv6Loopback, 0);
            var error = Assert.Throws<ArgumentException>(() => R2P2Router.CreateUdp(listen, options: new R2P2RouterOptions { PayloadSize = 1445, Servers = [server.LocalAddress] }));
            Assert.Contains("set it to 1444 or less", error.Message);

            // The default is lowered to what the routes to the configured servers carry.
            using (R2P2Router.CreateUdp(listen, options: new R2P2RouterOptions { Servers = [server.LocalAddress] }))
            {
            }

            using var router = R2P2Router.CreateUdp(listen, options: new R2P2RouterOptions { PayloadSize = 1444, Servers = [server.LocalAddress] });
            using var client = R2P2Client.CreateUdp(router.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1444, Timeout = Payloads.Generous, ResponseSources = ResponseSources.AnyServer });
            var payload = Payloads.Make(1444, tag: 8); // one full packet: 1500 bytes on the wire, forwarded whole
            using var response = client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous).GetAwaiter().GetResult();
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
            Assert.Equal(0, router.Forwarder.SendErrors);

            using var wide = R2P2Router.CreateUdp(listen, options: new R2P2RouterOptions { PayloadSize = 1460 });
            var added = Assert.Throws<ArgumentException>(() => wide.AddServer(server.LocalAddress));
            Assert.Contains("1516-byte IPv6 packets", added.Message);
            Assert.Empty(wide.Servers);
            return 0;
        });
    }

    [NetworkFact]
    public void A_default_router_lowers_its_payload_size_to_the_narrowest_route_among_its_servers()
    {
        using var space = LoopbackNamespace.Create(mtu: 1500);
        space.NarrowRoute("127.0.0.2", 1450);
        space.NarrowRoute("127.0.0.3", 1400);
        space.Run(() =>
        {
            using var middle = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), new EchoHandler(), new R2P2ServerOptions { PayloadSize = 1364 });
            using var narrow = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 0), new EchoHandler(), new R2P2ServerOptions { PayloadSize = 1364 });

            // Explicit: 1400 fits the 1450-byte route and not the 1400-byte one, so it is refused naming that server.
            var error = Assert.Throws<ArgumentException>(() => R2P2Router.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), options: new R2P2RouterOptions { PayloadSize = 1400, Servers = [middle.LocalAddress, narrow.LocalAddress] }));
            Assert.Contains($"{narrow.LocalAddress}", error.Message);
            Assert.Contains("set it to 1364 or less", error.Message);

            // Default: lowered to 1414 by the first route, then to 1364 by the second, and not refused.
            using var router = R2P2Router.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), options: new R2P2RouterOptions { Servers = [middle.LocalAddress, narrow.LocalAddress] });
            Assert.Equal(2, router.Servers.Count);
            using var client = R2P2Client.CreateUdp(router.LocalAddress.ToEndPoint(), new R2P2ClientOptions { PayloadSize = 1364, Timeout = Payloads.Generous, ResponseSources = ResponseSources.AnyServer });
            var payload = Payloads.Make(1364, tag: 10); // one full packet, forwarded whole to either server
            using var response = client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous).GetAwaiter().GetResult();
            Assert.Equal(payload, Payloads.ToArray(response.Payload));
            return 0;
        });
    }
}
