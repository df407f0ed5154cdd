using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// One R2P2 server on the Generic Host, registered by
/// <see cref="TailGuardServiceCollectionExtensions.AddR2P2Server{TService, TDispatcher}"/>: nothing happens until the
/// host starts it; <see cref="StartAsync"/> validates the settings, resolves the implementation, binds and starts the
/// receive loops; <see cref="StopAsync"/> stops gracefully (new requests refused with DROP, admitted ones finish up to
/// <see cref="R2P2ServerHostOptions.DrainTimeout"/> or the host's shutdown timeout, then the sockets close).
/// Resolve it with <c>GetRequiredKeyedService&lt;R2P2ServerHost&gt;(name)</c> to read its address or its server.
/// </summary>
public sealed class R2P2ServerHost : IHostedService, IDisposable
{
    private readonly Func<Action<Exception>, IR2P2ServiceHandler> _createHandler;
    private readonly IOptionsMonitor<R2P2ServerHostOptions> _options;
    private readonly IMeterFactory? _meterFactory;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private R2P2Server? _server;
    private R2P2ServerHostOptions? _settings;
    private R2P2FailureLogger? _failureLog;
    private Timer? _dropWatch;
    private long _dropsSeen;
    private long _dropsSeenAt;
    private int _state;

    internal R2P2ServerHost(
        string name,
        Func<Action<Exception>, IR2P2ServiceHandler> createHandler,
        IOptionsMonitor<R2P2ServerHostOptions> options,
        IMeterFactory? meterFactory,
        ILogger logger)
    {
        Name = name;
        _createHandler = createHandler;
        _options = options;
        _meterFactory = meterFactory;
        _logger = logger;
    }

    /// <summary>The server's name: the key of its options and of this host in dependency injection.</summary>
    public string Name { get; }

    /// <summary>Where the server is in its life.</summary>
    public R2P2ServerHostState State => (R2P2ServerHostState)Volatile.Read(ref _state);

    /// <summary>The running server (its statistics, its drain state), or null before the start and after the stop.</summary>
    public R2P2Server? Server => Volatile.Read(ref _server);

    /// <summary>The address the server listens on (with the port the system picked for port 0).</summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public PacketAddress LocalAddress
        => Server?.LocalAddress ?? throw new InvalidOperationException($"The R2P2 server '{Name}' is not running ({State}).");

    /// <summary>Validates the settings, resolves the implementation, binds the transport and starts the receive loops.</summary>
    /// <param name="cancellationToken">Unused: starting does not wait.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="OptionsValidationException">The settings are invalid (every failure is listed).</exception>
    /// <exception cref="InvalidOperationException">The implementation is not registered, or the address cannot be bound.</exception>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (State != R2P2ServerHostState.NotStarted)
            {
                throw new InvalidOperationException($"The R2P2 server '{Name}' was already started ({State}).");
            }

            try
            {
                _settings = _options.Get(Name);
                // One rate-limited log for what the core survived and for the exceptions the dispatcher catches.
                var failureLog = new R2P2FailureLogger(_logger, Name, server: true, _settings.FailureLogLimit, _settings.FailureLogInterval);
                _failureLog = failureLog;
                var handler = _createHandler(error => failureLog.Report(R2P2Failure.Handler, error));
                var server = CreateServer(_settings, handler, failureLog);
                Volatile.Write(ref _server, server);
                Volatile.Write(ref _state, (int)R2P2ServerHostState.Running);
                Log.ServerStarted(_logger, Name, handler.Service.Name, server.LocalAddress.ToString(), _settings.ReceiveLoops);
                _dropsSeenAt = Stopwatch.GetTimestamp();
                _dropWatch = new Timer(static self => ((R2P2ServerHost)self!).CheckDrops(), this, _settings.DropCheckInterval, _settings.DropCheckInterval);
            }
            catch (Exception exception)
            {
                Volatile.Write(ref _state, (int)R2P2ServerHostState.Stopped);
                Log.ServerStartFailed(_logger, Name, exception.Message);
                throw;
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops gracefully: refuses new requests with DROP, waits for admitted ones up to
    /// <see cref="R2P2ServerHostOptions.DrainTimeout"/> or until <paramref name="cancellationToken"/> (the host's
    /// shutdown timeout) fires, then closes the server.
    /// </summary>
    /// <param name="cancellationToken">The host's shutdown deadline.</param>
    /// <returns>A task that completes once the server is closed.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        R2P2Server? server;
        lock (_gate)
        {
            server = _server;
            if (server is null || State != R2P2ServerHostState.Running)
            {
                return;
            }

            Volatile.Write(ref _state, (int)R2P2ServerHostState.Draining);
        }

        var drainTimeout = _settings!.DrainTimeout;
        Log.ServerDraining(_logger, Name, drainTimeout);
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(drainTimeout);
            if (await server.DrainAsync(deadline.Token).ConfigureAwait(false))
            {
                Log.ServerDrained(_logger, Name);
            }
            else
            {
                Log.ServerDrainIncomplete(_logger, Name, server.PendingResponses, server.PendingReassemblies);
            }
        }

        Close();
    }

    /// <summary>Closes the server at once if it is still open (the host disposes its services after stopping them).</summary>
    public void Dispose() => Close();

    private void Close()
    {
        R2P2Server? server;
        lock (_gate)
        {
            server = _server;
            _server = null;
            _dropWatch?.Dispose();
            _dropWatch = null;
            Volatile.Write(ref _state, (int)R2P2ServerHostState.Stopped);
        }

        _failureLog?.Flush(all: true);

        if (server is not null)
        {
            server.Dispose();
            var statistics = server.Statistics;
            Log.ServerStopped(_logger, Name, statistics.Requests, statistics.Responses, statistics.Drops);
        }
    }

    private R2P2Server CreateServer(R2P2ServerHostOptions settings, IR2P2ServiceHandler handler, IR2P2FailureLog failureLog)
    {
        var defaults = new R2P2ServerOptions();
        var options = new R2P2ServerOptions
        {
            PayloadSize = settings.PayloadSize ?? defaults.PayloadSize,
            MaxRequestBytes = settings.MaxRequestBytes ?? defaults.MaxRequestBytes,
            ResponseTimeout = settings.ResponseTimeout ?? defaults.ResponseTimeout,
            AdmissionPolicy = settings.MaxInFlight is { } maxInFlight ? new MaxInFlightAdmissionPolicy(maxInFlight) : null,
            MeterFactory = _meterFactory,
            FailureLog = failureLog,
        };

        try
        {
            if (settings.TransportFactory is { } createTransport)
            {
                var transport = createTransport() ?? throw new InvalidOperationException("The TransportFactory returned null.");
                try
                {
                    return new R2P2Server(transport, handler, options);
                }
                catch
                {
                    transport.Dispose();
                    throw;
                }
            }

            var endPoint = PacketAddress.Parse(settings.Address!).ToEndPoint();
            var sockets = settings.SocketBufferBytes is { } bytes ? new UdpTransportOptions { ReceiveBufferBytes = bytes, SendBufferBytes = bytes } : null;
            return R2P2Server.CreateUdp(endPoint, handler, options, settings.ReceiveLoops, sockets);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ArgumentException)
        {
            throw new InvalidOperationException($"The R2P2 server '{Name}' could not start on {settings.Address ?? "its transport"}: {exception.Message}", exception);
        }
    }

    private void CheckDrops()
    {
        _failureLog?.Flush();
        var server = Server;
        var settings = _settings;
        if (server is null || settings is null)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var drops = server.Statistics.Drops;
        var seconds = (now - _dropsSeenAt) / (double)Stopwatch.Frequency;
        var delta = drops - _dropsSeen;
        _dropsSeen = drops;
        _dropsSeenAt = now;
        if (seconds > 0 && delta > 0 && delta / seconds > settings.DropWarningRate)
        {
            Log.DropsAboveRate(_logger, Name, delta, seconds, delta / seconds, settings.DropWarningRate);
        }
    }
}
