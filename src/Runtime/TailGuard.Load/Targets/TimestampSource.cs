namespace TailGuard.Load;

/// <summary>Where a connection's receive timestamps come from (every report says which).</summary>
public enum TimestampSource
{
    /// <summary>The monotonic clock, read when the response reached the generator's code.</summary>
    MonotonicClock,

    /// <summary>The kernel's software receive timestamp of the datagram (Linux SO_TIMESTAMPING), converted to the monotonic clock.</summary>
    KernelSoftware,
}
