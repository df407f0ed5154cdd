using System.Diagnostics.Metrics;
using System.Security.Cryptography;

namespace TailGuard.Tyche.Simulation;

/// <summary>How a <see cref="SimulatedMonitor"/> is set up.</summary>
public sealed class SimulatedMonitorOptions
{
    /// <summary>Compatible with today's monitor (the default) or strict.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Compatible;

    /// <summary>The number of simulated cores (1-64).</summary>
    public int CoreCount { get; init; } = 4;

    /// <summary>The size of simulated physical memory in bytes (a multiple of 4 KiB, at most 1 GiB).</summary>
    public int MemorySize { get; init; } = 16 << 20;

    /// <summary>Whether the host (domain 0) handles every trap (true, like a Linux host) or none, so unhandled traps fail with <see cref="MonitorError.CouldNotHandleTrap"/>.</summary>
    public bool HostHandlesTraps { get; init; } = true;

    /// <summary>The monitor's attestation key (ECDSA P-256); a fresh one when null. The monitor does not dispose a key it was given.</summary>
    public ECDsa? SigningKey { get; init; }

    /// <summary>
    /// Where the monitor's measurements go (the "TailGuard.Tyche" meter: switches, revocations): that factory's meter;
    /// null (the default) uses a process-wide static meter of the same name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }
}
