using System;

namespace TailGuard.Boundary;

/// <summary>How <see cref="ProcessBackend"/> starts and signals its domain processes.</summary>
public sealed class ProcessBackendOptions
{
    /// <summary>
    /// The domain host (<c>tailguard-domain.dll</c>), or null to search for it: beside the application
    /// (<see cref="AppContext.BaseDirectory"/>, where the TailGuard package's build targets copy it), then beside
    /// TailGuard.dll, then in the TailGuard package's <c>tools/net10.0/</c> (docs/trust-boundary.md, "Where
    /// tailguard-domain is found"). A path that names no file is an error, never a fallback.
    /// </summary>
    public string? DomainHostPath { get; init; }

    /// <summary>
    /// How many times each side polls the other's word before it waits in the kernel (futex). 0: always wait in the
    /// kernel (lowest CPU use, a wake-up per call). The default keeps a call busy-polled for tens of microseconds.
    /// </summary>
    public int SpinIterations { get; init; } = 20_000;

    /// <summary>
    /// How long a call may wait for the domain's answer (default 10 s; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>:
    /// no limit). A domain process that is alive but does not answer in time (stopped, deadlocked, looping, or simply
    /// slower than this) is revoked: its process is killed, the call and every later one fail with
    /// <see cref="BoundaryRevokedException"/>, and <see cref="TrustDomainHost{TService}.StopReason"/> says why.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the domain process may take to load and report ready (default 60 s: a cold runtime on a busy machine).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
