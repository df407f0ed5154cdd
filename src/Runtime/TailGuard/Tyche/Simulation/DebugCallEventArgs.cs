using System;

namespace TailGuard.Tyche.Simulation;

/// <summary>A DEBUG monitor call: the monitor only logs the value (tyche-devel monitor/tyche/src/monitor.rs).</summary>
public sealed class DebugCallEventArgs : EventArgs
{
    /// <summary>Creates the record of a call.</summary>
    /// <param name="domainId">The calling domain's engine id.</param>
    /// <param name="core">The core it ran on.</param>
    /// <param name="value">The value it passed.</param>
    public DebugCallEventArgs(int domainId, int core, ulong value)
    {
        DomainId = domainId;
        Core = core;
        Value = value;
    }

    /// <summary>The calling domain's engine id.</summary>
    public int DomainId { get; }

    /// <summary>The core it ran on.</summary>
    public int Core { get; }

    /// <summary>The value it passed.</summary>
    public ulong Value { get; }
}
