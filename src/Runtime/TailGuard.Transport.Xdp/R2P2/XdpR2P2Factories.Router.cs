using System;
using System.Net;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;

namespace TailGuard.Transport.Xdp;

/// <summary><c>R2P2Router.CreateXdp</c>: an R2P2 router on AF_XDP that forwards through the same socket (docs/router.md, "On AF_XDP").</summary>
public static partial class XdpR2P2Factories
{
    extension(R2P2Router)
    {
        /// <summary>
        /// An R2P2 router on AF_XDP: requests arrive on the XDP socket of <see cref="XdpTransportOptions.Interface"/>
        /// queue <see cref="XdpTransportOptions.Queue"/>, and each is forwarded to its server through that socket's TX
        /// ring with the client's address as the source, in the frame it arrived in (no copy). FEEDBACK comes to the
        /// same port, or to a kernel UDP socket on <paramref name="feedbackPort"/> of the same address. The next hop of
        /// every server in <see cref="R2P2RouterOptions.Servers"/> is resolved first, and of a server added later in
        /// <see cref="R2P2Router.AddServer"/> (<see cref="PacketForwarder.PrepareDestination"/>). A queued request holds its frame, so the UMEM covers
        /// <see cref="R2P2RouterOptions.QueueCapacity"/> and two rings: a <see cref="XdpTransportOptions.FrameCount"/> of 0
        /// (the default) is sized so, a smaller one is refused. With <see cref="XdpFallback.UdpSockets"/>,
        /// where AF_XDP is unavailable, it is <c>R2P2Router.CreateUdp</c> on the interface's address (a raw socket
        /// forwards; needs CAP_NET_RAW) and a warning log line says why.
        /// </summary>
        /// <param name="transport">The interface, queue, port (0 picks one) and AF_XDP settings.</param>
        /// <param name="options">Router settings; defaults when null.</param>
        /// <param name="feedbackPort">A separate FEEDBACK port (a kernel UDP socket; 0 picks one); null shares the request port.</param>
        /// <param name="fallback">What to do when AF_XDP is unavailable.</param>
        /// <param name="logger">Where the transport choice is logged; none when null.</param>
        /// <returns>The router, its loops running; it owns the transport, the FEEDBACK socket and the forwarder.</returns>
        /// <exception cref="ArgumentException">A setting is invalid, a server is of the other family than the interface address, or the frames cannot hold the central queue.</exception>
        /// <exception cref="XdpUnavailableException">AF_XDP cannot be used here (without a fallback); the message names what is missing.</exception>
        /// <exception cref="XdpException">A server's next hop is not on this interface or does not answer, or the kernel failed otherwise.</exception>
        public static R2P2Router CreateXdp(XdpTransportOptions transport, R2P2RouterOptions? options = null, ushort? feedbackPort = null, XdpFallback fallback = XdpFallback.None, ILogger? logger = null)
        {
            ArgumentNullException.ThrowIfNull(transport);
            transport.Validate(); // the frame rule below reads RingSize and FrameCount
            options ??= new R2P2RouterOptions();
            var needed = (long)options.QueueCapacity + (2L * transport.RingSize);
            if (needed > XdpTransportOptions.MaxFrameCount)
            {
                throw new ArgumentException(
                    $"{nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.QueueCapacity)} ({options.QueueCapacity}) plus two rings ({2 * transport.RingSize}) need {needed} UMEM frames on AF_XDP (each queued request keeps the frame it arrived in), more than a transport has ({XdpTransportOptions.MaxFrameCount}); lower the queue.",
                    nameof(options));
            }

            if (transport.FramesHolding(options.QueueCapacity) < needed)
            {
                throw new ArgumentException(
                    $"{nameof(XdpTransportOptions)}.{nameof(XdpTransportOptions.FrameCount)} ({transport.FrameCount}) cannot hold the router's central queue: each queued request keeps the UMEM frame it arrived in, so {nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.QueueCapacity)} ({options.QueueCapacity}) plus two rings ({2 * transport.RingSize}) need at least {needed} frames; raise the frame count (0 sizes it) or lower the queue.",
                    nameof(transport));
            }

            XdpTransport? xdp = null;
            UdpTransport? feedback = null;
            XdpForwarder? forwarder = null;
            try
            {
                xdp = XdpTransport.Create(transport, options.QueueCapacity);
                foreach (var server in options.Servers)
                {
                    if (server.IsIPv4 == xdp.LocalAddress.IsIPv4)
                    {
                        xdp.ResolveNeighbour(server); // the router refuses the other family itself, with its own message
                    }
                }

                if (feedbackPort is { } port)
                {
                    feedback = UdpTransport.Bind(new IPEndPoint(xdp.LocalAddress.ToEndPoint().Address, port));
                }

                forwarder = new XdpForwarder(xdp);
                var router = new R2P2Router(xdp, feedback, forwarder, options);
                if (logger is not null)
                {
                    LogServing(logger, "router", xdp.LocalAddress, xdp.InterfaceName, xdp.Queue, 1, xdp.AttachMode, xdp.BindMode);
                }

                return router;
            }
            catch (XdpUnavailableException error) when (fallback == XdpFallback.UdpSockets)
            {
                xdp?.Dispose();
                var local = FallbackAddress(transport, preferred: null);
                var router = R2P2Router.CreateUdp(new IPEndPoint(local, transport.Port), feedbackPort is { } port ? new IPEndPoint(local, port) : null, options);
                if (logger is not null)
                {
                    LogFallback(logger, "router", transport.Interface, error.Message, router.LocalAddress);
                }

                return router;
            }
            catch
            {
                forwarder?.Dispose();
                feedback?.Dispose();
                xdp?.Dispose();
                throw;
            }
        }
    }
}
