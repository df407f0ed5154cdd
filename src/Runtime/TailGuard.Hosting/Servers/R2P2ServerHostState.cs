namespace TailGuard.Hosting;

/// <summary>Where a hosted R2P2 server is in its life.</summary>
public enum R2P2ServerHostState
{
    /// <summary>Registered; the host has not started it (no socket, no thread yet).</summary>
    NotStarted,

    /// <summary>Serving.</summary>
    Running,

    /// <summary>Stopping gracefully: new requests are refused with DROP while admitted ones finish.</summary>
    Draining,

    /// <summary>Closed (or its start failed).</summary>
    Stopped,
}
