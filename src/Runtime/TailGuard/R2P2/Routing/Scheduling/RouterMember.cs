namespace TailGuard.R2P2.Routing;

/// <summary>One server of the router as the scheduler tracks it (under the router's lock).</summary>
internal sealed class RouterMember(PacketAddress address, int slot)
{
    /// <summary>Never heard from: older than any send time.</summary>
    public const long NeverHeard = long.MinValue;

    public PacketAddress Address { get; } = address;

    /// <summary>Its index in the scheduler's slot table (stable while it is a member).</summary>
    public int Slot { get; } = slot;

    /// <summary>Requests forwarded to it and not yet answered by FEEDBACK (nor reclaimed): JBSQ's used credits.</summary>
    public int Outstanding { get; set; }

    /// <summary>When its last FEEDBACK arrived (a Stopwatch timestamp), or <see cref="NeverHeard"/>.</summary>
    public long LastFeedback { get; set; } = NeverHeard;

    public long Forwarded { get; set; }

    public long Feedbacks { get; set; }
}
