using System;

namespace TailGuard.R2P2;

/// <summary>
/// The hard ceilings of every configurable R2P2 bound (docs/security.md, "Hard ceilings"): an option above its ceiling
/// is refused when the client or server is created, so no setting can turn a bound into none.
/// </summary>
public static class R2P2Limits
{
    /// <summary>The largest <see cref="R2P2ServerOptions.MaxRequestBytes"/> and <see cref="R2P2ClientOptions.MaxResponseBytes"/>: 64 MiB.</summary>
    public const int MaxMessageBytes = 64 * 1024 * 1024;

    /// <summary>The most <see cref="R2P2ServerOptions.MaxPendingReassemblies"/>: 65536.</summary>
    public const int MaxPendingReassemblies = 65536;

    /// <summary>The largest <see cref="R2P2ServerOptions.MaxReassemblyBytes"/>: 1 GiB.</summary>
    public const long MaxReassemblyBytes = 1L << 30;

    /// <summary>The most <see cref="R2P2ServerOptions.MaxDeferredResponses"/> and <see cref="R2P2ServerOptions.MaxInFlightPerSource"/>: 1,048,576.</summary>
    public const int MaxRequestsHeld = 1 << 20;

    /// <summary>The most datagrams per receive system call (<c>ReceiveBatchSize</c>): 1024.</summary>
    public const int MaxReceiveBatch = 1024;

    /// <summary>The most call nonces a server remembers per key (<see cref="R2P2ServerOptions.ReplayWindow"/>): 65536 (512 KiB a key).</summary>
    public const int MaxReplayWindow = 65536;

    /// <summary>The largest <see cref="R2P2ServerOptions.MaxClockSkew"/>: 10 minutes.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(10);

    /// <summary>The longest <see cref="R2P2ServerOptions.ReassemblyTimeout"/>: 60 s.</summary>
    public static readonly TimeSpan MaxReassemblyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The longest call timeout, response timeout and rid quarantine: 1 hour.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);
}
