namespace TailGuard.Tool.Commands.Serve;

/// <summary>How a synthetic service time is spent (docs/router.md, "Synthetic service times").</summary>
internal enum ServiceTimeMode
{
    /// <summary>A timed sleep (clock_nanosleep with 1 ns timer slack on Linux) that wakes early by the worker's measured wake-up latency (<see cref="WakeCompensation"/>), so the mean hold is the mean drawn time: the core stays free, so a small machine can host many simulated workers; each hold is off by tens of microseconds.</summary>
    Wait,

    /// <summary>Spins on the clock, burning the worker's core as real work does (the paper's testbed): accurate to a microsecond, one core per busy worker.</summary>
    Spin,
}
