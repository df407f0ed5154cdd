namespace TailGuard.Load;

/// <summary>
/// The scheduling priority of a <see cref="LoadGenerator"/>'s sending threads. On a machine whose cores are shared
/// with the target and the generator's own receive loops, a sending thread at normal priority waits behind them for a
/// time slice (milliseconds) now and then, and every send scheduled meanwhile leaves late (docs/load.md).
/// </summary>
public enum SenderPriority
{
    /// <summary>The process's priority: the sending threads compete with every other thread as equals.</summary>
    Normal,

    /// <summary>
    /// Nice -10 for the sending threads only (Linux, with root or CAP_SYS_NICE; elsewhere, or when refused, the
    /// threads stay at the process's priority and the point's <see cref="SenderHealth.Priority"/> says so): a woken
    /// sender preempts the normal-priority threads on its core rather than waiting for their slice to end. The default.
    /// </summary>
    High,
}
