using System;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// The settings of one typed R2P2 client (<see cref="TailGuardServiceCollectionExtensions.AddR2P2Client{TClient}"/>),
/// bindable from configuration and validated when the host starts (or when the client is first resolved, whichever
/// comes first).
/// </summary>
public sealed class R2P2ClientHostOptions
{
    /// <summary>The server (or router) to call, such as <c>10.0.0.2:9000</c> or <c>[fd00::2]:9000</c>. Required.</summary>
    public string? Server { get; set; }

    /// <summary>A call's timeout unless the call names its own; null for the runtime's default (1 s).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Calls in flight at once; null for the runtime's default (4096).</summary>
    public int? MaxInFlight { get; set; }

    /// <summary>The largest payload a packet carries; null for the runtime's default. Use the server's value.</summary>
    public int? PayloadSize { get; set; }

    /// <summary>
    /// How many failures of each kind (a receive-loop fault, a continuation or callback that threw on the receive loop)
    /// are logged with their exception per <see cref="FailureLogInterval"/>; the rest are counted and logged as one
    /// warning per interval. Default 10; 0 logs only the warnings.
    /// </summary>
    public int FailureLogLimit { get; set; } = FailureLogSettings.DefaultLimit;

    /// <summary>The interval of <see cref="FailureLogLimit"/>. Default 10 s.</summary>
    public TimeSpan FailureLogInterval { get; set; } = FailureLogSettings.DefaultInterval;

    /// <summary>
    /// Creates the transport instead of binding an ephemeral UDP port of <see cref="Server"/>'s family (an in-memory
    /// network in tests); code only, not from configuration. The client owns and closes what it returns.
    /// </summary>
    public Func<PacketTransport>? TransportFactory { get; set; }
}
