namespace TailGuard.Tyche.Simulation;

/// <summary>Which monitor the simulator behaves like where today's code and the intended rules differ.</summary>
public enum MonitorMode
{
    /// <summary>
    /// Like today's monitor: monitor-call permissions are not checked, regions may be sent into sealed domains,
    /// and a seal that fails for lack of a Switch capability still leaves the domain sealed.
    /// </summary>
    Compatible = 0,

    /// <summary>
    /// The intended rules: a domain uses and grants only the monitor-interface bits it holds, sealed domains accept no
    /// new regions, and a seal checks for the Switch capability before sealing.
    /// </summary>
    Strict = 1,
}
