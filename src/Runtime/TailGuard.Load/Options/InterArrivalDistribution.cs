namespace TailGuard.Load;

/// <summary>How the gaps between scheduled sends are drawn (each send is the previous scheduled time plus a gap).</summary>
public enum InterArrivalDistribution
{
    /// <summary>Exponential gaps: Poisson arrivals, the open-loop model of many independent clients.</summary>
    Exponential,

    /// <summary>Every gap equal to the mean: a metronome.</summary>
    Fixed,

    /// <summary>Gaps uniform between 0 and twice the mean.</summary>
    Uniform,
}
