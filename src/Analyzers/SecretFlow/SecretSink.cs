using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// A secret reaching a sink: the rule, where, the path from the source ("'_key' -> 'k' -> return"), what the sink is,
/// and, for TG4006, the declaration of the member that should become [Secret].
/// </summary>
internal sealed class SecretSink
{
    internal SecretSink(DiagnosticDescriptor rule, Location location, string path, string sink, Location? member = null,
        ImmutableDictionary<string, string?>? properties = null)
    {
        Rule = rule;
        Location = location;
        Path = path;
        Sink = sink;
        Member = member;
        Properties = properties;
    }

    internal DiagnosticDescriptor Rule { get; }
    internal Location Location { get; }
    internal string Path { get; }
    internal string Sink { get; }
    internal Location? Member { get; }
    internal ImmutableDictionary<string, string?>? Properties { get; }

    internal Diagnostic ToDiagnostic() => Diagnostic.Create(
        Rule, Location, Member is null ? null : new[] { Member }, Properties, Path, Sink);
}
