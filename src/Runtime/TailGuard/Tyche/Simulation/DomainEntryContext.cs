namespace TailGuard.Tyche.Simulation;

/// <summary>What a domain sees when a switch enters it.</summary>
/// <param name="Core">The core now running the domain: make monitor calls and memory accesses through it.</param>
/// <param name="Status">0 on a plain switch; 2 when the domain handles its own trap (<paramref name="TrapVector"/>);
/// 1 when its RETURN_TO_MANAGER failed and it resumes after the call.</param>
/// <param name="ReturnCapability">The one Switch capability back to the caller, in the domain's own table.</param>
/// <param name="TrapVector">The trap the domain handles when <paramref name="Status"/> is 2, otherwise -1.</param>
public readonly record struct DomainEntryContext(SimulatedCore Core, MonitorStatus Status, CapabilityHandle ReturnCapability, int TrapVector);
