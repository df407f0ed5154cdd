using System;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.R2P2;

/// <summary>
/// An R2P2 server: one <see cref="ReceiveLoop"/> thread per transport (for several cores, give it several UDP sockets
/// bound to one port with SO_REUSEPORT, see <see cref="UdpTransport.BindReusePortGroup"/>). Each complete request runs
/// to completion on the thread that received it: the handler sees the payload as a view over the receive buffer (a
/// multi-packet request is first copied into one contiguous pooled buffer, so handlers nearly always see one
/// segment) and writes its response into the transport's send buffers. A handler may instead
/// <see cref="R2P2Request.Defer"/> and answer later from any thread. The loops start in the constructor.
/// </summary>
public sealed class R2P2Server : IAsyncDisposable, IDisposable
{
    private readonly ServerLoop[] _loops;
    private readonly R2P2ServerOptions _options;
    private readonly FailureReporter _failures;
    private int _disposed;
    private int _draining;

    /// <summary>Creates a server with one receive loop.</summary>
    /// <param name="transport">The transport to serve on.</param>
    /// <param name="handler">Handles each complete request.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public R2P2Server(PacketTransport transport, IR2P2Handler handler, R2P2ServerOptions? options = null)
        : this([transport ?? throw new ArgumentNullException(nameof(transport))], handler, options)
    {
    }

    /// <summary>Creates a server with one receive loop per transport.</summary>
    /// <param name="transports">The transports to serve on (usually sockets sharing one port).</param>
    /// <param name="handler">Handles each complete request; called concurrently from every loop.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public R2P2Server(IReadOnlyList<PacketTransport> transports, IR2P2Handler handler, R2P2ServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transports);
        ArgumentNullException.ThrowIfNull(handler);
        if (transports.Count == 0)
        {
            throw new ArgumentException("A server needs at least one transport.", nameof(transports));
        }

        _options = options ?? new R2P2ServerOptions();
        // Behind a router, requests come and responses go over the router's network: a payload the route to the router
        // cannot carry whole would be fragmented by the kernel, or lost where a router forwards it. The default is
        // lowered to fit, another size refused.
        if (_options.RouterAddress is { } router && HasUdp(transports)
            && RouteMtu.Fit(_options.PayloadSize, router, RouteMtu.To(router), $"{nameof(R2P2ServerOptions)}.{nameof(R2P2ServerOptions.PayloadSize)}") is var fit
            && fit != _options.PayloadSize)
        {
            _options = _options.WithPayloadSize(fit);
        }

        Statistics = new R2P2ServerStatistics(R2P2Instruments.For(_options.MeterFactory));
        Service = (handler as IR2P2ServiceHandler)?.Service;
        _failures = new FailureReporter(_options.FailureLog, Statistics.Failure);
        var admission = new AdmissionGate(_options.AdmissionPolicy, _options.MaxInFlightPerSource, _failures);
        var limiter = _options.ResponseLimits is { } limits ? new ResponseLimiter(limits) : null;
        var authenticator = _options.AuthenticationKeys is { } ring ? new Security.ServerAuthenticator(ring, _options.ReplayWindow, _options.MaxClockSkew) : null;
        _loops = new ServerLoop[transports.Count];
        for (var i = 0; i < _loops.Length; i++)
        {
            var transport = transports[i] ?? throw new ArgumentException("A transport is null.", nameof(transports));
            _options.Validate(transport);
            _loops[i] = new ServerLoop(this, transport, handler, Service, _options, Statistics, admission, limiter, _failures, authenticator);
        }

        foreach (var loop in _loops)
        {
            loop.Start();
        }
    }

    private static bool HasUdp(IReadOnlyList<PacketTransport> transports)
    {
        foreach (var transport in transports)
        {
            if (transport is UdpTransport)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Creates a server on UDP: one socket, or several sharing the port with SO_REUSEPORT (one loop each).</summary>
    /// <param name="localEndPoint">The IPv4 or IPv6 address and port to serve on (port 0 picks one; <see cref="IPAddress.IPv6Any"/> serves both families).</param>
    /// <param name="handler">Handles each complete request.</param>
    /// <param name="options">Server settings; defaults when null.</param>
    /// <param name="receiveLoops">How many receive loops (sockets); more than one needs Linux.</param>
    /// <param name="transportOptions">Socket settings; defaults when null.</param>
    /// <returns>The server, its loops running.</returns>
    public static R2P2Server CreateUdp(IPEndPoint localEndPoint, IR2P2Handler handler, R2P2ServerOptions? options = null, int receiveLoops = 1, UdpTransportOptions? transportOptions = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(receiveLoops, 1);
        PacketTransport[] transports = receiveLoops == 1
            ? [UdpTransport.Bind(localEndPoint, transportOptions)]
            : UdpTransport.BindReusePortGroup(localEndPoint, receiveLoops, transportOptions);
        try
        {
            return new R2P2Server(transports, handler, options);
        }
        catch
        {
            foreach (var transport in transports)
            {
                transport.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Raised (on the receive thread, or the thread answering a deferred response) when a handler throws; no response is
    /// sent for that request. A subscriber that throws is counted (<see cref="R2P2ServerStatistics.CallbackFailures"/>)
    /// and logged, and the other subscribers still run.
    /// </summary>
    public event EventHandler<Exception>? HandlerFailed;

    /// <summary>The address of the first transport (what clients send to).</summary>
    public PacketAddress LocalAddress => _loops[0].Transport.LocalAddress;

    /// <summary>The address of every transport, one per receive loop (the workers of <see cref="R2P2Workers"/>, in port order).</summary>
    public IReadOnlyList<PacketAddress> LocalAddresses => Array.ConvertAll(_loops, static loop => loop.Transport.LocalAddress);

    /// <summary>This server's counts.</summary>
    public R2P2ServerStatistics Statistics { get; }

    /// <summary>
    /// The service the handler serves when it is a generated dispatcher (<see cref="IR2P2ServiceHandler"/>): requests
    /// are then measured and traced by method. Null for a plain handler.
    /// </summary>
    public R2P2ServiceDescriptor? Service { get; }

    /// <summary>Multi-packet requests being reassembled now, over all loops (as of each loop's last batch).</summary>
    public int PendingReassemblies => (int)SumOverLoops(static loop => loop.PendingReassemblies);

    /// <summary>Buffer bytes pending reassemblies hold now, over all loops (as of each loop's last batch).</summary>
    public long PendingReassemblyBytes => SumOverLoops(static loop => loop.PendingReassemblyBytes);

    /// <summary>The most buffer bytes pending reassemblies held at once, per loop, summed over loops.</summary>
    public long PeakReassemblyBytes => SumOverLoops(static loop => loop.PeakReassemblyBytes);

    /// <summary>Deferred responses (<see cref="R2P2Request.Defer"/>) waiting for their answer now, over all loops.</summary>
    public int PendingResponses => (int)SumOverLoops(static loop => loop.PendingResponses);

    /// <summary>
    /// Bytes the receive loop threads have allocated since they started (<see cref="GC.GetAllocatedBytesForCurrentThread"/>
    /// sampled after each batch), summed, so tests and benchmarks can check serving allocates nothing per request.
    /// </summary>
    public long ReceiveLoopAllocatedBytes => SumOverLoops(static loop => loop.AllocatedBytes);

    /// <summary>How many times the receive loops have gone round, summed.</summary>
    public long ReceiveLoopIterations => SumOverLoops(static loop => loop.Iterations);

    private long SumOverLoops(Func<ServerLoop, long> read)
    {
        long total = 0;
        foreach (var loop in _loops)
        {
            total += read(loop);
        }

        return total;
    }

    /// <summary>Whether <see cref="DrainAsync"/> was called: the server refuses every new request with DROP until it is disposed.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>
    /// Drains the server before it is disposed (a graceful stop). From now on every new request is refused with DROP
    /// (its client fails at once with <see cref="R2P2DroppedException"/> and may retry elsewhere; the admission policy
    /// is not asked), while the requests already admitted finish: multi-packet requests being reassembled, handlers
    /// running, deferred responses not yet answered. Completes with true once none is left and each loop has answered
    /// what was queued on its socket, or false when <paramref name="cancellationToken"/> fires first (the deadline) or
    /// the server is disposed meanwhile. Draining cannot be undone; dispose the server afterwards to close it.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait (not the draining): the drain deadline.</param>
    /// <returns>Whether every admitted request finished.</returns>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    public async Task<bool> DrainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Interlocked.Exchange(ref _draining, 1);
        var drained = new Task<bool>[_loops.Length];
        for (var i = 0; i < _loops.Length; i++)
        {
            drained[i] = _loops[i].BeginDrain();
        }

        try
        {
            var results = await Task.WhenAll(drained).WaitAsync(cancellationToken).ConfigureAwait(false);
            return Array.TrueForAll(results, static drainedLoop => drainedLoop);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops the loops (pending reassemblies are discarded, deferred responses released and later answers ignored) and
    /// closes the transports if the server owns them. For a graceful stop, <see cref="DrainAsync"/> first.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var loop in _loops)
        {
            loop.Stop();
        }

        if (_options.OwnsTransports)
        {
            foreach (var loop in _loops)
            {
                loop.Transport.Dispose();
            }
        }
    }

    /// <inheritdoc cref="Dispose"/>
    /// <returns>A completed task.</returns>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Raised (on the receive thread) when processing a datagram failed unexpectedly; the loop keeps serving. A
    /// subscriber that throws is counted and logged, and the other subscribers still run.
    /// </summary>
    public event EventHandler<Exception>? ReceiveLoopError;

    internal void ReportHandlerFailure(Exception error) => _failures.Raise(HandlerFailed, this, error);

    internal void ReportReceiveLoopError(Exception error) => _failures.Raise(ReceiveLoopError, this, error);
}
