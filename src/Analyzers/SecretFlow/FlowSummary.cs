using System.Collections.Generic;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// What a method does with one secret input (a parameter, or its own [Secret] sources): the path to its return value,
/// if the input reaches it, and the sinks the input reaches inside it (and inside what it calls, within the depth bound).
/// </summary>
internal sealed class FlowSummary
{
    internal static readonly FlowSummary Empty = new(null, new List<SecretSink>());

    internal FlowSummary(string? returnPath, List<SecretSink> sinks)
    {
        ReturnPath = returnPath;
        Sinks = sinks;
    }

    internal string? ReturnPath { get; }
    internal List<SecretSink> Sinks { get; }
}
