using System;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// The settings of one hosted R2P2 server (<see cref="TailGuardServiceCollectionExtensions.AddR2P2Server{TService, TDispatcher}"/>),
/// bindable from configuration (<c>.BindConfiguration("TailGuard:Servers:KeyValue")</c>) and validated when the host
/// starts: an invalid value stops the start with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>
/// that names the server and the setting.
/// </summary>
public sealed class R2P2ServerHostOptions
{
    /// <summary>The address and port to serve on, such as <c>0.0.0.0:9000</c>, <c>[::]:9000</c> or <c>127.0.0.1:0</c> (port 0 picks one). Required.</summary>
    public string? Address { get; set; }

    /// <summary>How many receive loops (UDP sockets sharing the port with SO_REUSEPORT; more than one needs Linux). Default 1.</summary>
    public int ReceiveLoops { get; set; } = 1;

    /// <summary>The largest payload a packet carries (docs/operations.md, "MTU and payload size"); null for the runtime's default.</summary>
    public int? PayloadSize { get; set; }

    /// <summary>The largest request accepted, in bytes; null for the runtime's default (1 MiB).</summary>
    public int? MaxRequestBytes { get; set; }

    /// <summary>Requests handled at once before new ones are refused with DROP; null admits every request.</summary>
    public int? MaxInFlight { get; set; }

    /// <summary>How long a deferred response may wait for its answer; null for the runtime's default (1 s).</summary>
    public TimeSpan? ResponseTimeout { get; set; }

    /// <summary>The kernel receive and send buffer size of each UDP socket, in bytes; null for the runtime's default (4 MiB).</summary>
    public int? SocketBufferBytes { get; set; }

    /// <summary>
    /// How long a graceful stop waits for admitted requests to finish (new ones are refused with DROP meanwhile) before
    /// the server closes anyway. Default 5 s; the host's own shutdown timeout also ends the wait.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Refusals (DROP) per second above which the server logs a warning, at most once per <see cref="DropCheckInterval"/>. Default 100.</summary>
    public double DropWarningRate { get; set; } = 100;

    /// <summary>How often the drop rate is checked. Default 10 s.</summary>
    public TimeSpan DropCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many failures of each kind (a handler that threw, a receive-loop fault, an admission policy or event subscriber
    /// that threw) are logged with their exception per <see cref="FailureLogInterval"/>; the rest are counted and
    /// logged as one warning per interval (a client can make a handler throw on every request). Default 10; 0 logs
    /// only the warnings.
    /// </summary>
    public int FailureLogLimit { get; set; } = FailureLogSettings.DefaultLimit;

    /// <summary>The interval of <see cref="FailureLogLimit"/>. Default 10 s.</summary>
    public TimeSpan FailureLogInterval { get; set; } = FailureLogSettings.DefaultInterval;

    /// <summary>
    /// Creates the transport instead of binding UDP on <see cref="Address"/> (an in-memory network in tests, another
    /// transport package); code only, not from configuration. The server owns and closes what it returns.
    /// </summary>
    public Func<PacketTransport>? TransportFactory { get; set; }
}
