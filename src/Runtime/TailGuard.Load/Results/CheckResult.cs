namespace TailGuard.Load;

/// <summary>A self-check's verdict.</summary>
public enum CheckStatus
{
    /// <summary>The measurement passed this check.</summary>
    Passed,

    /// <summary>The measurement failed this check: its numbers must not be trusted as they are.</summary>
    Failed,

    /// <summary>The check does not apply to this point (a closed loop has no schedule to check).</summary>
    NotApplicable,
}

/// <summary>One self-check of a point: its name, verdict, and what it measured, in words.</summary>
/// <param name="Name">The check: see <see cref="CheckNames"/>.</param>
/// <param name="Status">The verdict.</param>
/// <param name="Detail">What was measured against what threshold.</param>
public sealed record CheckResult(string Name, CheckStatus Status, string Detail);

/// <summary>The names of the self-checks (docs/load.md, "Self-checks").</summary>
public static class CheckNames
{
    /// <summary>The achieved send rate is within tolerance of the target.</summary>
    public const string Rate = "rate";

    /// <summary>No connection reported a fault of its own machinery during the point (<see cref="LoadPointResult.Faults"/>).</summary>
    public const string Faults = "faults";

    /// <summary>The gaps between actual sends fit the chosen distribution (Anderson-Darling).</summary>
    public const string InterArrival = "inter-arrival";

    /// <summary>Consecutive latency samples are independent (Spearman), after thinning if need be.</summary>
    public const string Independence = "independence";

    /// <summary>The generator's own send lateness (actual − scheduled send time) is below the threshold at p99.</summary>
    public const string Lateness = "lateness";

    /// <summary>No send was skipped because the in-flight limit was reached.</summary>
    public const string InFlight = "in-flight";

    /// <summary>The requested percentile's interval became as narrow as asked before the time limit.</summary>
    public const string Precision = "precision";

    /// <summary>Enough latency samples to report from.</summary>
    public const string Samples = "samples";
}
