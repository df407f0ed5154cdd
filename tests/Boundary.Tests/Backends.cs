using System;
using TailGuard.Tyche.Simulation;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// The backends the boundary suites run against: every one that can run on this machine. <see cref="All"/> is for
/// tests that watch only what the host sees (the proxy, the shared region, statuses); <see cref="InProcess"/> for
/// tests that also watch the implementation itself (its counters and hooks live in the test's process).
/// </summary>
public static class Backends
{
    public const string Simulated = "simulated";
    public const string Process = "process";

    /// <summary>The driver backend over the fake <c>/dev/tyche</c>, its domain's entry loop played in .NET (<see cref="Driver.DriverKit"/>).</summary>
    public const string Driver = "driver";

    /// <summary>Theory data: one row per backend that runs here (the process backend needs Linux x86_64).</summary>
    public static TheoryData<string> All => ProcessBackend.IsSupported ? [Simulated, Process, Driver] : [Simulated, Driver];

    /// <summary>Theory data: the backends whose implementation lives in the test's process.</summary>
    public static TheoryData<string> InProcess => [Simulated];

    /// <summary>Whether the process backend runs here; when it does not, says so in the test's output (the test then returns).</summary>
    public static bool ProcessSupported(ITestOutputHelper output)
    {
        if (ProcessBackend.IsSupported)
        {
            return true;
        }

        output.WriteLine("SKIPPED: the process backend needs Linux on x86_64 (memfd, futex, seccomp).");
        return false;
    }
}
