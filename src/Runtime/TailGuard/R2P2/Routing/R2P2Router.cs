using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// An R2P2 router (docs/router.md): receives requests on its request port, places each one on a server by its
/// <see cref="RouterPolicy"/> (JBSQ(n) with one central FIFO by default), and forwards its first packet by rewriting only
/// the destination, so the server answers the client directly and the rest of a multi-packet request goes server-direct
/// after the ACK. Servers send one FEEDBACK per response to the FEEDBACK port (the request port unless a separate one
/// is given); each returns its request's credit. Requests the router cannot place are answered DROP on the servers'
/// behalf; a server that stops sending FEEDBACK is evicted and its credits reclaimed. Servers join and leave at run
/// time (<see cref="AddServer"/>, <see cref="RemoveServer"/>). Forwarding allocates nothing per packet. The loops start
/// in the constructor. A router on a dual-stack [::] port serves IPv4 and IPv6 clients, each family with its own pool
/// of servers of that family (<see cref="IsDualStack"/>).
/// </summary>
public sealed class R2P2Router : IAsyncDisposable, IDisposable
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly R2P2RouterOptions _options;
    private readonly RouterPools _pools;
    private readonly RouterLoop _requests;
    private readonly RouterLoop? _feedback;
    private readonly PacketForwarder _forwarder;
    private readonly FailureReporter _failures;
    private int _disposed;

    /// <summary>Creates a router whose requests and FEEDBACK share one transport.</summary>
    /// <param name="transport">The request port (IPv4 or IPv6: its family is the router's; a dual-stack [::] UDP port serves both); servers send FEEDBACK here too.</param>
    /// <param name="forwarder">Sends requests to servers with the client's source address.</param>
    /// <param name="options">Settings; defaults (JBSQ(2), no servers yet) when null.</param>
    public R2P2Router(PacketTransport transport, PacketForwarder forwarder, R2P2RouterOptions? options = null)
        : this(transport, null, forwarder, options)
    {
    }

    /// <summary>Creates a router with a request port and a separate FEEDBACK port.</summary>
    /// <param name="transport">The request port (IPv4 or IPv6: its family is the router's; a dual-stack [::] UDP port serves both).</param>
    /// <param name="feedbackTransport">The FEEDBACK port (dual-stack exactly when the request port is); null shares <paramref name="transport"/>.</param>
    /// <param name="forwarder">Sends requests to servers with the client's source address.</param>
    /// <param name="options">Settings; defaults (JBSQ(2), no servers yet) when null.</param>
    /// <exception cref="ArgumentException">A setting is invalid, both transports are the same object, or one is dual-stack and the other is not.</exception>
    public R2P2Router(PacketTransport transport, PacketTransport? feedbackTransport, PacketForwarder forwarder, R2P2RouterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(forwarder);
        if (ReferenceEquals(transport, feedbackTransport))
        {
            throw new ArgumentException("The FEEDBACK transport must be another transport than the request one (pass null to share the request port).", nameof(feedbackTransport));
        }

        _options = options ?? new R2P2RouterOptions();
        _options.Validate();
        if (forwarder is RawSocketForwarder)
        {
            // A forwarded request must fit the route to every configured server (CheckRoute): the default payload size is
            // lowered to the narrowest route, another size that one of them cannot carry is refused. Each route is asked once.
            var fit = _options.PayloadSize;
            foreach (var server in _options.Servers)
            {
                fit = Math.Min(fit, RouteMtu.Fit(_options.PayloadSize, server, RouteMtu.To(server), $"{nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.Servers)} {server}: {nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.PayloadSize)}"));
            }

            if (fit != _options.PayloadSize)
            {
                _options = _options.WithPayloadSize(fit);
                _options.Validate();
            }
        }
        if (_options.PayloadSize + R2P2Header.Size > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"The request transport carries datagrams of at most {transport.MaxDatagramSize} bytes; {nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.PayloadSize)} needs {_options.PayloadSize + R2P2Header.Size}.", nameof(transport));
        }

        IsIPv4 = transport.LocalAddress.IsIPv4;
        IsDualStack = IsDualStackPort(transport);
        if (feedbackTransport is not null && IsDualStackPort(feedbackTransport) != IsDualStack)
        {
            throw new ArgumentException(
                $"The FEEDBACK port {feedbackTransport.LocalAddress} and the request port {transport.LocalAddress} must both be dual-stack ([::]) or neither: a dual-stack router takes FEEDBACK from servers of both families, a single-family router from servers of its own.",
                nameof(feedbackTransport));
        }

        foreach (var server in _options.Servers)
        {
            CheckFamily(server, $"{nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.Servers)}");
        }

        if (feedbackTransport is not null && feedbackTransport.LocalAddress.IsIPv4 != IsIPv4)
        {
            throw new ArgumentException($"The FEEDBACK port {feedbackTransport.LocalAddress} and the request port {transport.LocalAddress} are of different address families; a router and its servers share one.", nameof(feedbackTransport));
        }

        _forwarder = forwarder;
        Statistics = new R2P2RouterStatistics();
        _failures = new FailureReporter(_options.FailureLog, Statistics.Failure);
        var feedbackPort = feedbackTransport ?? transport;
        var watch = feedbackPort.WatchesReceiveQueue ? new FeedbackPortWatch(feedbackPort.ReceiveQueueDrops, Statistics) : null;
        _pools = new RouterPools(_options, Statistics, Stopwatch.GetTimestamp(), ipv4: IsIPv4 || IsDualStack, ipv6: !IsIPv4, watch);
        var batch = _options.ReceiveBatchSize;
        _requests = new RouterLoop(this, _pools, _sync, Statistics, transport, new RouterOutput(forwarder, transport, batch * 2), routesRequests: true, takesFeedback: feedbackTransport is null, new ReceiveLoopOptions
        {
            Mode = _options.ReceiveMode,
            BatchSize = batch,
            BufferSize = Math.Max(R2P2Header.Size + _options.PayloadSize, ControlMessages.DropLength),
            ThreadName = $"R2P2 router {transport.LocalAddress}",
        }, watch);
        if (feedbackTransport is not null)
        {
            _feedback = new RouterLoop(this, _pools, _sync, Statistics, feedbackTransport, new RouterOutput(forwarder, transport, batch * 2), routesRequests: false, takesFeedback: true, new ReceiveLoopOptions
            {
                Mode = _options.FeedbackReceiveMode ?? _options.ReceiveMode,
                BatchSize = batch,
                BufferSize = 64, // a FEEDBACK is 16 bytes; anything larger is not one
                ThreadName = $"R2P2 router FEEDBACK {feedbackTransport.LocalAddress}",
            }, watch);
        }

        _requests.Start();
        _feedback?.Start();
    }

    /// <summary>Raised (on the request loop's thread) when a server is evicted for sending no FEEDBACK; <see cref="AddServer"/> brings it back.</summary>
    public event EventHandler<PacketAddress>? ServerEvicted;

    /// <summary>Raised (on a loop's thread) when processing a datagram failed unexpectedly; the loop keeps routing.</summary>
    public event EventHandler<Exception>? ReceiveLoopError;

    /// <summary>The request port: where clients send requests.</summary>
    public PacketAddress LocalAddress => _requests.Transport.LocalAddress;

    /// <summary>Where servers send FEEDBACK (<see cref="R2P2ServerOptions.RouterAddress"/>): the FEEDBACK port, or the request port when shared.</summary>
    public PacketAddress FeedbackAddress => (_feedback ?? _requests).Transport.LocalAddress;

    /// <summary>
    /// Whether the router's request port is IPv4; else IPv6, dual-stack included (<see cref="IsDualStack"/>). A single-family
    /// router's servers and clients are of its family: forwarding rewrites only the destination, so a request cannot cross families.
    /// </summary>
    public bool IsIPv4 { get; }

    /// <summary>
    /// Whether the request port is a dual-stack [::] UDP socket: the router then serves IPv4 clients (seen as IPv4
    /// addresses) and IPv6 clients, each sent only to servers of its own family, with a pool of servers per family
    /// (their own credits, central queue and policy state; docs/router.md, "Dual-stack").
    /// </summary>
    public bool IsDualStack { get; }

    /// <summary>The placement policy.</summary>
    public RouterPolicy Policy => _options.Policy;

    /// <summary>
    /// Where FIXED requests go (<see cref="R2P2RouterOptions.FixedServer"/>), or null until a first server joins. A dual-stack
    /// router has one per family (<see cref="RouterServerStatus.IsFixedServer"/>); this is the IPv4 one when there is one.
    /// </summary>
    public PacketAddress? FixedServer
    {
        get
        {
            lock (_sync)
            {
                return _pools.FixedServer;
            }
        }
    }

    /// <summary>This router's counts.</summary>
    public R2P2RouterStatistics Statistics { get; }

    /// <summary>The forwarder (its <see cref="PacketForwarder.SendErrors"/> counts datagrams the network refused).</summary>
    public PacketForwarder Forwarder => _forwarder;

    /// <summary>Requests waiting in the central FIFO now.</summary>
    public int QueueLength
    {
        get
        {
            lock (_sync)
            {
                return _pools.QueueLength;
            }
        }
    }

    /// <summary>Forwarded requests awaiting their FEEDBACK now, over all servers.</summary>
    public int OutstandingCount
    {
        get
        {
            lock (_sync)
            {
                return _pools.OutstandingCount;
            }
        }
    }

    /// <summary>The members now, ordered by address.</summary>
    public IReadOnlyList<RouterServerStatus> Servers
    {
        get
        {
            lock (_sync)
            {
                return _pools.Snapshot(Stopwatch.GetTimestamp());
            }
        }
    }

    /// <summary>The source of the last FEEDBACK from an address that is not a server (a server bound to another address than the router knows it by shows up here).</summary>
    public PacketAddress? LastUnknownFeedbackSource
    {
        get
        {
            lock (_sync)
            {
                return _pools.LastUnknownFeedbackSource;
            }
        }
    }

    /// <summary>Bytes the router's loop threads have allocated since they started (sampled after each batch), summed.</summary>
    public long ReceiveLoopAllocatedBytes => _requests.AllocatedBytes + (_feedback?.AllocatedBytes ?? 0);

    /// <summary>How many times the router's loops have gone round, summed.</summary>
    public long ReceiveLoopIterations => _requests.Iterations + (_feedback?.Iterations ?? 0);

    /// <summary>Creates a router on UDP: a request socket, a FEEDBACK socket (or the request socket), and a <see cref="RawSocketForwarder"/>.</summary>
    /// <param name="listenEndPoint">The IPv4 or IPv6 address and port of the request port (port 0 picks one); its family is the router's, and <see cref="IPAddress.IPv6Any"/> serves both (<see cref="IsDualStack"/>).</param>
    /// <param name="feedbackEndPoint">The FEEDBACK port's address (of the same family, [::] for a dual-stack router) and port (port 0 picks one); null shares the request port.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="transportOptions">Socket settings; defaults when null.</param>
    /// <returns>The router, its loops running.</returns>
    /// <exception cref="ArgumentException">The endpoints are of different families (or only one is [::]), a server is of another family than a single-family router's, a request of <see cref="R2P2RouterOptions.PayloadSize"/> does not fit the MTU of the route to a server, or a setting is invalid.</exception>
    /// <exception cref="UnauthorizedAccessException">The process may not open a raw socket (needs CAP_NET_RAW).</exception>
    /// <exception cref="SocketException">A port cannot be bound (in use, not an address of this machine).</exception>
    public static R2P2Router CreateUdp(IPEndPoint listenEndPoint, IPEndPoint? feedbackEndPoint = null, R2P2RouterOptions? options = null, UdpTransportOptions? transportOptions = null)
    {
        ArgumentNullException.ThrowIfNull(listenEndPoint);
        if (feedbackEndPoint is not null && feedbackEndPoint.AddressFamily != listenEndPoint.AddressFamily)
        {
            throw new ArgumentException($"The FEEDBACK port {feedbackEndPoint} and the request port {listenEndPoint} are of different address families; a router and its servers share one.", nameof(feedbackEndPoint));
        }

        (options ?? new R2P2RouterOptions()).Validate();
        var owned = new List<IDisposable>();
        try
        {
            var forwarder = RawSocketForwarder.Open();
            owned.Add(forwarder);
            var transport = UdpTransport.Bind(listenEndPoint, transportOptions);
            owned.Add(transport);
            UdpTransport? feedback = null;
            if (feedbackEndPoint is not null)
            {
                feedback = UdpTransport.Bind(feedbackEndPoint, transportOptions);
                owned.Add(feedback);
            }

            return new R2P2Router(transport, feedback, forwarder, options);
        }
        catch
        {
            foreach (var resource in owned)
            {
                resource.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Adds a server at run time; queued requests take its credits at once. The forwarder is readied for it first
    /// (<see cref="PacketForwarder.PrepareDestination"/>: on AF_XDP its next hop is resolved, which may take up to the
    /// transport's neighbour timeout).
    /// </summary>
    /// <param name="server">The server's address (of the router's family; of either for a dual-stack router, whose clients of that family it then serves) and port (requests go there; its FEEDBACK must come from there).</param>
    /// <returns>True when it joined, false when it already was a member.</returns>
    /// <exception cref="ArgumentException">
    /// The address is of the other family than a single-family router's, or has no host or port, or (forwarding through raw sockets)
    /// a request of <see cref="R2P2RouterOptions.PayloadSize"/> does not fit the MTU of the route to it, or the forwarder
    /// cannot reach it (on AF_XDP: no route out of its interface, or a next hop that does not answer). It did not join.
    /// </exception>
    /// <exception cref="InvalidOperationException">The router has <see cref="R2P2RouterOptions.MaxServers"/> servers already.</exception>
    /// <exception cref="ObjectDisposedException">The router was disposed.</exception>
    public bool AddServer(PacketAddress server)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        CheckFamily(server, "server");
        CheckRoute(_forwarder, server, "server");
        _forwarder.PrepareDestination(server); // outside the lock: it may wait for the network
        var output = NewOutput();
        bool added;
        lock (_sync)
        {
            added = _pools.For(server)!.Add(server, Stopwatch.GetTimestamp(), output); // CheckFamily: the router serves its family
        }

        output.Flush();
        return added;
    }

    /// <summary>
    /// Removes a server at run time: it gets no more requests; its outstanding requests are no longer tracked (their
    /// credits reclaimed; it may still answer them). When the last server leaves, queued requests are answered DROP.
    /// </summary>
    /// <param name="server">The server's address.</param>
    /// <returns>True when it was a member.</returns>
    /// <exception cref="ObjectDisposedException">The router was disposed.</exception>
    public bool RemoveServer(PacketAddress server)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var output = NewOutput();
        bool removed;
        lock (_sync)
        {
            removed = _pools.For(server)?.Remove(server, output) ?? false;
        }

        output.Flush();
        return removed;
    }

    /// <summary>Stops the loops (queued requests are answered DROP) and disposes the transports and the forwarder if the router owns them.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _feedback?.Stop();
        _requests.Stop();
        if (_options.OwnsTransports)
        {
            _feedback?.Transport.Dispose();
            _requests.Transport.Dispose();
            _forwarder.Dispose();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal void ReportEviction(PacketAddress server) => _failures.Raise(ServerEvicted, this, server);

    internal void ReportReceiveLoopError(Exception error)
    {
        _failures.Report(R2P2Failure.ReceiveLoop, error);
        _failures.Raise(ReceiveLoopError, this, error);
    }

    private RouterOutput NewOutput() => new(_forwarder, _requests.Transport, 64);

    /// <summary>
    /// A forwarded request keeps its size and the kernel does not fragment it (IPv4: don't fragment; IPv6: routers never
    /// do), so one that does not fit the route to its server would be lost: refuse the server while it can be said.
    /// </summary>
    private void CheckRoute(PacketForwarder forwarder, PacketAddress server, string what)
    {
        if (forwarder is RawSocketForwarder && RouteMtu.Misfit(_options.PayloadSize, server, $"{nameof(R2P2RouterOptions)}.{nameof(R2P2RouterOptions.PayloadSize)}") is { } misfit)
        {
            throw new ArgumentException($"{what} {server}: {misfit}");
        }
    }

    /// <summary>A UDP socket on [::] is dual-stack: IPv4 clients and servers reach it too, so the router keeps a pool per family.</summary>
    private static bool IsDualStackPort(PacketTransport transport) => transport is UdpTransport { IsDualStack: true };

    private void CheckFamily(PacketAddress server, string what)
    {
        if (!IsDualStack && server.IsIPv4 != IsIPv4)
        {
            throw new ArgumentException($"{what}: {server} is {(server.IsIPv4 ? "IPv4" : "IPv6")} and the router is {(IsIPv4 ? "IPv4" : "IPv6")}: forwarding rewrites only the destination, so a single-family router and its servers share one address family (a router on [::] serves both, each client with servers of its family).");
        }
    }
}
