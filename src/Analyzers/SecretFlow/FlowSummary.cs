using System.Collections.Generic;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// What a method does with one secret input (a parameter, or its own [Secret] sources): what of it reaches the return
/// value (all of it, or members such as a tuple's elements), and the sinks the input reaches inside the method (and
/// inside what it calls, within the depth bound).
/// </summary>
internal sealed class FlowSummary
{
    internal static readonly FlowSummary Empty = new(null, new List<SecretSink>());

    internal FlowSummary(Taint? @return, List<SecretSink> sinks)
    {
        Return = @return;
        Sinks = sinks;
    }

    internal Taint? Return { get; }
    internal List<SecretSink> Sinks { get; }
}
