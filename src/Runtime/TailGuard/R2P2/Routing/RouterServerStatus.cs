using System;

namespace TailGuard.R2P2.Routing;

/// <summary>One server of a router at the moment <see cref="R2P2Router.Servers"/> was read.</summary>
public readonly struct RouterServerStatus
{
    internal RouterServerStatus(PacketAddress address, int outstanding, long forwarded, long feedbacks, TimeSpan? sinceLastFeedback, bool isFixed)
    {
        Address = address;
        Outstanding = outstanding;
        Forwarded = forwarded;
        Feedbacks = feedbacks;
        SinceLastFeedback = sinceLastFeedback;
        IsFixedServer = isFixed;
    }

    /// <summary>Where the router sends its requests, and where its FEEDBACK must come from.</summary>
    public PacketAddress Address { get; }

    /// <summary>Requests forwarded to it and not yet answered by FEEDBACK (JBSQ's used credits).</summary>
    public int Outstanding { get; }

    /// <summary>Requests forwarded to it since it joined.</summary>
    public long Forwarded { get; }

    /// <summary>FEEDBACK messages from it that returned a credit since it joined.</summary>
    public long Feedbacks { get; }

    /// <summary>How long ago its last FEEDBACK arrived; null when none has.</summary>
    public TimeSpan? SinceLastFeedback { get; }

    /// <summary>Whether FIXED requests go to it.</summary>
    public bool IsFixedServer { get; }

    /// <summary>"10.0.0.2:9100 outstanding 2, forwarded 812, feedbacks 810".</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => $"{Address} outstanding {Outstanding}, forwarded {Forwarded}, feedbacks {Feedbacks}{(IsFixedServer ? " (fixed)" : string.Empty)}";
}
