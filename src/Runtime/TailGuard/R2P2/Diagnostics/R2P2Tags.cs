using System;
using System.Collections.Generic;

namespace TailGuard.R2P2;

/// <summary>The tag keys of the R2P2 duration histograms, and the pre-built tag lists of calls no service describes.</summary>
internal static class R2P2Tags
{
    public const string Service = "service";
    public const string Method = "method";
    public const string Outcome = "outcome";

    private static readonly KeyValuePair<string, object?>[][] OutcomeOnly = BuildOutcomeOnly();

    /// <summary>The tags of a call or request of no known method (a plain handler, a raw client call): the outcome only.</summary>
    public static ReadOnlySpan<KeyValuePair<string, object?>> Of(R2P2MethodDescriptor? method, R2P2Outcome outcome)
        => method is null ? OutcomeOnly[(int)outcome] : method.Tags(outcome);

    private static KeyValuePair<string, object?>[][] BuildOutcomeOnly()
    {
        var tags = new KeyValuePair<string, object?>[R2P2Outcomes.Count][];
        for (var outcome = 0; outcome < tags.Length; outcome++)
        {
            tags[outcome] = [new(Outcome, R2P2Outcomes.Name((R2P2Outcome)outcome))];
        }

        return tags;
    }
}
