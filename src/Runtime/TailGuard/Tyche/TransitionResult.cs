namespace TailGuard.Tyche;

/// <summary>How a host transition into a domain ended.</summary>
/// <param name="Status">0: the domain switched back; 2: it trapped and the host handles the trap.</param>
/// <param name="Reason">Why control came back (<see cref="ExitReason.Unknown"/> for a normal switch back).</param>
/// <param name="TrapVector">The trap number when <paramref name="Status"/> is 2, otherwise -1.</param>
public readonly record struct TransitionResult(MonitorStatus Status, ExitReason Reason, int TrapVector);
