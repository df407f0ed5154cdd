using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// One allocation found in an operation: the rule, where, the message arguments (the hot path's name is appended when
/// reported) and a short phrase naming the kind, used in the call chains of TG3018.
/// </summary>
internal sealed class AllocationFinding
{
    internal AllocationFinding(DiagnosticDescriptor rule, Location location, string kind, params object[] arguments)
    {
        Rule = rule;
        Location = location;
        Kind = kind;
        Arguments = arguments;
    }

    internal DiagnosticDescriptor Rule { get; }
    internal Location Location { get; }
    internal string Kind { get; }
    internal object[] Arguments { get; }

    /// <summary>Facts a code fix needs (e.g. <see cref="EmptyArrayProperty"/>), or null.</summary>
    internal ImmutableDictionary<string, string?>? Properties { get; set; }

    /// <summary>Set on TG3002 when the array is empty, so the fix can offer Array.Empty&lt;T&gt;().</summary>
    internal const string EmptyArrayProperty = "EmptyArray";

    /// <summary>Set on TG3002 when the array can move to the stack (<see cref="StackallocCandidate"/>).</summary>
    internal const string StackallocProperty = "Stackalloc";

    /// <summary>Set on TG3010 when a query clause wrote the lambda: there is no 'static' to add, so no fix.</summary>
    internal const string QueryClauseProperty = "QueryClause";

    /// <summary>The kind and rule ID, as shown at the end of a call chain.</summary>
    internal string Describe() => Kind + " (" + Rule.Id + ")";

    internal Diagnostic ToDiagnostic(string hotPath)
    {
        var arguments = new object[Arguments.Length + 1];
        Arguments.CopyTo(arguments, 0);
        arguments[Arguments.Length] = hotPath;
        return Diagnostic.Create(Rule, Location, Properties, arguments);
    }
}
