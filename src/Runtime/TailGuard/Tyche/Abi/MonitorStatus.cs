namespace TailGuard.Tyche;

/// <summary>The status a monitor call returns on the wire (rax after vmcall).</summary>
public enum MonitorStatus
{
    /// <summary>The call succeeded; after SWITCH: the other side switched back.</summary>
    Success = 0,

    /// <summary>The call failed; the detailed <see cref="MonitorError"/> is not on the wire.</summary>
    Failure = 1,

    /// <summary>SWITCH resumed through a trap (the domain was interrupted, not switched back).</summary>
    SwitchInterrupted = 2,
}
