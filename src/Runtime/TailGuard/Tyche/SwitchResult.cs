namespace TailGuard.Tyche;

/// <summary>How a SWITCH came back to the caller.</summary>
/// <param name="Status"><see cref="MonitorStatus.Success"/> when the target switched back,
/// <see cref="MonitorStatus.SwitchInterrupted"/> when the caller resumed because it handles a trap of the target.</param>
/// <param name="SwitchBack">The fresh Switch capability to the context the core just left (the one way back in).</param>
/// <param name="TrapVector">The trap number when interrupted, otherwise -1.</param>
public readonly record struct SwitchResult(MonitorStatus Status, CapabilityHandle SwitchBack, int TrapVector);
