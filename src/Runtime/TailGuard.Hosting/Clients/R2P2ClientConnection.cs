using System;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// The <see cref="R2P2Client"/> behind one typed client: created (socket bound, receive loop started) when the typed
/// client is first resolved, never when the host is built; closed when the service provider is disposed.
/// </summary>
internal sealed class R2P2ClientConnection : IDisposable
{
    private readonly string _name;
    private readonly IOptionsMonitor<R2P2ClientHostOptions> _options;
    private readonly IMeterFactory? _meterFactory;
    private readonly ILogger _logger;
    private readonly Lazy<R2P2Client> _client;
    private R2P2FailureLogger? _failureLog;

    public R2P2ClientConnection(string name, IOptionsMonitor<R2P2ClientHostOptions> options, IMeterFactory? meterFactory, ILogger logger)
    {
        _name = name;
        _options = options;
        _meterFactory = meterFactory;
        _logger = logger;
        _client = new Lazy<R2P2Client>(Create);
    }

    public R2P2Client Client => _client.Value;

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
            _failureLog?.Flush(all: true);
        }
    }

    private R2P2Client Create()
    {
        var settings = _options.Get(_name);
        var defaults = new R2P2ClientOptions();
        _failureLog = new R2P2FailureLogger(_logger, _name, server: false, settings.FailureLogLimit, settings.FailureLogInterval);
        var options = new R2P2ClientOptions
        {
            Timeout = settings.Timeout ?? defaults.Timeout,
            MaxInFlight = settings.MaxInFlight ?? defaults.MaxInFlight,
            PayloadSize = settings.PayloadSize ?? defaults.PayloadSize,
            MeterFactory = _meterFactory,
            FailureLog = _failureLog,
        };

        var destination = PacketAddress.Parse(settings.Server!);
        R2P2Client client;
        if (settings.TransportFactory is { } createTransport)
        {
            var transport = createTransport() ?? throw new InvalidOperationException($"R2P2 client '{_name}': the TransportFactory returned null.");
            try
            {
                client = new R2P2Client(transport, destination, options);
            }
            catch
            {
                transport.Dispose();
                throw;
            }
        }
        else
        {
            client = R2P2Client.CreateUdp(destination.ToEndPoint(), options);
        }

        Log.ClientCreated(_logger, _name, destination.ToString(), client.LocalAddress.ToString());
        return client;
    }
}
