using System;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests;

/// <summary>The backends the boundary suites run against: every one that can run on this machine.</summary>
public static class Backends
{
    public const string Simulated = "simulated";

    /// <summary>Theory data: one row per backend.</summary>
    public static TheoryData<string> All => [Simulated];

    /// <summary>A backend by name; <paramref name="monitor"/> is the simulated monitor to use (the caller disposes it).</summary>
    internal static ITrustDomainBackend Create(string name, SimulatedMonitor monitor) => name switch
    {
        Simulated => new SimulatedBackend(monitor),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such backend"),
    };
}
