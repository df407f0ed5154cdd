using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The facts at one point of a method: which variables (locals, parameters, and the compiler's flow captures of the
/// control-flow graph) hold a secret, and which parts of them. Variables not listed are public.
/// </summary>
internal sealed class TaintState
{
    private readonly Dictionary<object, Taint> _variables;

    internal TaintState() => _variables = new Dictionary<object, Taint>(VariableComparer.Instance);

    private TaintState(Dictionary<object, Taint> variables) => _variables = new Dictionary<object, Taint>(variables, VariableComparer.Instance);

    internal int Count => _variables.Count;

    internal IEnumerable<KeyValuePair<object, Taint>> Variables => _variables;

    internal TaintState Clone() => new(_variables);

    /// <summary>The taint of a local or parameter symbol, or of a <see cref="CaptureId"/>.</summary>
    internal Taint? Get(object variable) => _variables.TryGetValue(variable, out var taint) ? taint : null;

    /// <summary>A strong update: the variable now holds exactly <paramref name="taint"/> (null: public).</summary>
    internal void Set(object variable, Taint? taint)
    {
        if (taint is null)
        {
            _variables.Remove(variable);
        }
        else
        {
            _variables[variable] = taint;
        }
    }

    /// <summary>A weak update: the variable may also hold <paramref name="taint"/>.</summary>
    internal void Add(object variable, Taint? taint) => Set(variable, Taint.Join(Get(variable), taint));

    /// <summary>Joins <paramref name="other"/> into this state; true when something changed.</summary>
    internal bool JoinWith(TaintState other)
    {
        var changed = false;
        foreach (var pair in other._variables)
        {
            var mine = Get(pair.Key);
            var joined = Taint.Join(mine, pair.Value);
            if (!Equals(mine, joined))
            {
                _variables[pair.Key] = joined!;
                changed = true;
            }
        }

        return changed;
    }

    internal bool SameAs(TaintState other)
    {
        if (other._variables.Count != _variables.Count)
        {
            return false;
        }

        foreach (var pair in _variables)
        {
            if (!other._variables.TryGetValue(pair.Key, out var theirs) || !pair.Value.Equals(theirs))
            {
                return false;
            }
        }

        return true;
    }

}

/// <summary>Variables as keys: symbols by symbol equality, flow captures (<see cref="CaptureId"/>) by their id.</summary>
internal sealed class VariableComparer : IEqualityComparer<object>
{
    internal static readonly VariableComparer Instance = new();

    public new bool Equals(object? x, object? y) =>
        x is ISymbol first && y is ISymbol second ? SymbolEqualityComparer.Default.Equals(first, second) : object.Equals(x, y);

    public int GetHashCode(object obj) => obj is ISymbol symbol ? SymbolEqualityComparer.Default.GetHashCode(symbol) : obj.GetHashCode();
}
