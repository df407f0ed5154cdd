using System;
using System.Collections.Generic;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;

namespace TailGuard.Transport.Xdp;

/// <summary>
/// <c>R2P2Server.CreateXdp</c> and <c>R2P2Client.CreateXdp</c>: R2P2 over AF_XDP, with an optional fall back to kernel
/// UDP sockets (<see cref="XdpFallback.UdpSockets"/>) where AF_XDP is unavailable, which they say in a warning log line;
/// and <c>server.GetXdpStatistics()</c>, the counters of the AF_XDP sockets a server made here serves on.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1708:Identifiers should differ by more than case", Justification = "The analyzer reads two extension blocks as members named alike; they extend different types.")]
public static partial class XdpR2P2Factories
{
    // The transports of each server CreateXdp made (a server does not show its transports), for GetXdpStatistics.
    private static readonly ConditionalWeakTable<R2P2Server, XdpTransport[]> s_serverTransports = new();

    extension(R2P2Server server)
    {
        /// <summary>
        /// The statistics of the AF_XDP sockets the server serves on, one per queue in queue order (bind mode, what was
        /// received and sent, the kernel's losses and empty rings, the frame census); empty when the server was not made
        /// by <c>R2P2Server.CreateXdp</c> or fell back to UDP sockets.
        /// </summary>
        /// <returns>A new snapshot per queue.</returns>
        public IReadOnlyList<XdpStatistics> GetXdpStatistics()
        {
            ArgumentNullException.ThrowIfNull(server);
            return s_serverTransports.TryGetValue(server, out var transports)
                ? Array.ConvertAll(transports, static transport => transport.Statistics)
                : [];
        }
    }

    extension(R2P2Server)
    {
        /// <summary>
        /// An R2P2 server over AF_XDP: one receive loop per queue, from <see cref="XdpTransportOptions.Queue"/> on,
        /// all on one port. With <see cref="XdpFallback.UdpSockets"/>, where AF_XDP is unavailable
        /// (<see cref="XdpUnavailableException"/>) it serves the same port with UDP sockets on the interface's address
        /// (<paramref name="queues"/> SO_REUSEPORT sockets) and logs a warning that says why.
        /// </summary>
        /// <param name="transport">The interface, first queue, port and AF_XDP settings.</param>
        /// <param name="handler">Handles each request.</param>
        /// <param name="options">Server settings; defaults when null.</param>
        /// <param name="queues">How many queues (and receive loops), from <see cref="XdpTransportOptions.Queue"/>.</param>
        /// <param name="fallback">What to do when AF_XDP is unavailable.</param>
        /// <param name="logger">Where the transport choice is logged; none when null.</param>
        /// <returns>The running server.</returns>
        public static R2P2Server CreateXdp(XdpTransportOptions transport, IR2P2Handler handler, R2P2ServerOptions? options = null, int queues = 1, XdpFallback fallback = XdpFallback.None, ILogger? logger = null)
        {
            ArgumentNullException.ThrowIfNull(transport);
            ArgumentNullException.ThrowIfNull(handler);
            ArgumentOutOfRangeException.ThrowIfLessThan(queues, 1);
            List<PacketTransport> transports = [];
            try
            {
                var first = XdpTransport.Create(transport);
                transports.Add(first);
                for (var i = 1; i < queues; i++)
                {
                    transports.Add(XdpTransport.Create(WithQueue(transport, transport.Queue + i, first.LocalAddress.Port)));
                }

                var server = new R2P2Server(transports, handler, options);
                s_serverTransports.AddOrUpdate(server, transports.ConvertAll(static transport => (XdpTransport)transport).ToArray());
                if (logger is not null)
                {
                    LogServing(logger, "server", first.LocalAddress, first.InterfaceName, transport.Queue, queues, first.AttachMode, first.BindMode);
                }

                return server;
            }
            catch (XdpUnavailableException error) when (fallback == XdpFallback.UdpSockets)
            {
                DisposeAll(transports);
                var endPoint = new IPEndPoint(FallbackAddress(transport, preferred: null), transport.Port);
                var server = R2P2Server.CreateUdp(endPoint, handler, options, queues);
                if (logger is not null)
                {
                    LogFallback(logger, "server", transport.Interface, error.Message, server.LocalAddress);
                }

                return server;
            }
            catch
            {
                DisposeAll(transports);
                throw;
            }
        }
    }

    extension(R2P2Client)
    {
        /// <summary>
        /// An R2P2 client over AF_XDP to <paramref name="destination"/>, whose next hop's MAC address is resolved
        /// first (an <see cref="XdpException"/> says so when it cannot be, within
        /// <see cref="XdpTransportOptions.NeighbourTimeout"/>). With <see cref="XdpFallback.UdpSockets"/>, where AF_XDP
        /// is unavailable it uses a UDP socket on the interface's address and logs a warning that says why.
        /// </summary>
        /// <param name="destination">The server or router.</param>
        /// <param name="transport">The interface, queue and AF_XDP settings (port 0 picks one).</param>
        /// <param name="options">Client settings; defaults when null.</param>
        /// <param name="fallback">What to do when AF_XDP is unavailable.</param>
        /// <param name="logger">Where the transport choice is logged; none when null.</param>
        /// <returns>The client.</returns>
        public static R2P2Client CreateXdp(PacketAddress destination, XdpTransportOptions transport, R2P2ClientOptions? options = null, XdpFallback fallback = XdpFallback.None, ILogger? logger = null)
        {
            ArgumentNullException.ThrowIfNull(transport);
            XdpTransport? xdp = null;
            try
            {
                xdp = XdpTransport.Create(transport);
                xdp.ResolveNeighbour(destination);
                var client = new R2P2Client(xdp, destination, options);
                if (logger is not null)
                {
                    LogServing(logger, "client", xdp.LocalAddress, xdp.InterfaceName, xdp.Queue, 1, xdp.AttachMode, xdp.BindMode);
                }

                return client;
            }
            catch (XdpUnavailableException error) when (fallback == XdpFallback.UdpSockets)
            {
                xdp?.Dispose();
                var local = new IPEndPoint(FallbackAddress(transport, destination.AddressFamily), transport.Port);
                var client = new R2P2Client(UdpTransport.Bind(local), destination, options);
                if (logger is not null)
                {
                    LogFallback(logger, "client", transport.Interface, error.Message, client.LocalAddress);
                }

                return client;
            }
            catch
            {
                xdp?.Dispose();
                throw;
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "R2P2 {Role} on {Address} over AF_XDP: {Interface} queue {Queue} ({Queues} queue(s)), {AttachMode} attach, {BindMode} bind")]
    private static partial void LogServing(ILogger logger, string role, PacketAddress address, string @interface, int queue, int queues, XdpAttachMode attachMode, XdpBindMode bindMode);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "AF_XDP is unavailable on {Interface}, so the R2P2 {Role} falls back to kernel UDP sockets on {Address}: {Reason}")]
    private static partial void LogFallback(ILogger logger, string role, string @interface, string reason, PacketAddress address);

    private static XdpTransportOptions WithQueue(XdpTransportOptions options, int queue, ushort port) => new()
    {
        Interface = options.Interface,
        Queue = queue,
        Port = port,
        LocalAddress = options.LocalAddress,
        AttachMode = options.AttachMode,
        BindMode = options.BindMode,
        FrameSize = options.FrameSize,
        FrameCount = options.FrameCount,
        RingSize = options.RingSize,
        UseNeedWakeup = options.UseNeedWakeup,
        BusyPoll = options.BusyPoll,
        BusyPollBudget = options.BusyPollBudget,
        PreferBusyPoll = options.PreferBusyPoll,
        NeighbourTimeout = options.NeighbourTimeout,
        NeighbourCacheLifetime = options.NeighbourCacheLifetime,
        NeighbourCacheCapacity = options.NeighbourCacheCapacity,
        AttachWithNetlink = options.AttachWithNetlink,
    };

    /// <summary>
    /// The address a fallback socket binds: the configured one, else the interface's first of the wanted family (any
    /// when none is wanted). Read with the portable interface list, which needs no privilege.
    /// </summary>
    private static IPAddress FallbackAddress(XdpTransportOptions options, AddressFamily? preferred)
    {
        if (options.LocalAddress is { } configured)
        {
            return configured;
        }

        var nic = Array.Find(NetworkInterface.GetAllNetworkInterfaces(), n => n.Name == options.Interface)
            ?? throw new ArgumentException($"There is no network interface named '{options.Interface}' here.");
        IPAddress? found = null;
        foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
        {
            var address = unicast.Address;
            if (preferred is { } family ? address.AddressFamily == family : address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                if (found is null || (found.AddressFamily == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork) || (found.IsIPv6LinkLocal && !address.IsIPv6LinkLocal))
                {
                    found = address;
                }
            }
        }

        return found ?? throw new XdpException($"{options.Interface} has no {(preferred == AddressFamily.InterNetworkV6 ? "IPv6" : preferred == AddressFamily.InterNetwork ? "IPv4" : "IP")} address for the UDP fallback to bind.");
    }

    private static void DisposeAll(List<PacketTransport> transports)
    {
        foreach (var transport in transports)
        {
            transport.Dispose();
        }

        transports.Clear();
    }
}
