using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// One allocation found in an operation: the rule, where, the message arguments (the hot path's name is appended when
/// reported) and a short phrase naming the kind, used in the call chains of TG3018. Arguments may be <see cref="TypeName"/>s
/// and the kind may refer to them ("new '{0}'"): both are rendered only when the finding is reported or described.
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
    internal string Describe() =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Kind, Arguments) + " (" + Rule.Id + ")";

    internal Diagnostic ToDiagnostic(string hotPath)
    {
        var arguments = new object[Arguments.Length + 1];
        for (var i = 0; i < Arguments.Length; i++)
        {
            // Strings, not symbols or lazy names, so the diagnostic compares and serializes as its text.
            arguments[i] = Arguments[i].ToString();
        }

        arguments[Arguments.Length] = hotPath;
        return Diagnostic.Create(Rule, Location, Properties, arguments);
    }
}
