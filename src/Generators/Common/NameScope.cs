using System.Collections.Generic;

namespace TailGuard.Generators.Common;

/// <summary>
/// The one naming scheme for identifiers the generators invent (fields, helper methods, locals, added parameters): a
/// scope is seeded with every user identifier that could be in scope where the name is used, and a claimed name is
/// the preferred one, or the preferred one with '_' appended until it is taken by nothing, user or generated. So no
/// generated identifier can shadow or collide with a user's, whatever the user named things.
/// </summary>
internal sealed class NameScope
{
    private readonly HashSet<string> _taken;

    public NameScope(IEnumerable<string> userNames) => _taken = new HashSet<string>(userNames, System.StringComparer.Ordinal);

    private NameScope(HashSet<string> taken) => _taken = taken;

    /// <summary>A child scope: everything taken here, plus <paramref name="userNames"/>; claims in it do not affect this scope.</summary>
    public NameScope With(IEnumerable<string> userNames)
    {
        var taken = new HashSet<string>(_taken, System.StringComparer.Ordinal);
        taken.UnionWith(userNames);
        return new NameScope(taken);
    }

    /// <summary>Claims <paramref name="preferred"/>, or <paramref name="preferred"/> followed by as many '_' as it takes to be unique.</summary>
    public string Claim(string preferred)
    {
        string name = preferred;
        while (!_taken.Add(name))
        {
            name += "_";
        }

        return name;
    }

    /// <summary>Whether <paramref name="name"/> is taken (by a user identifier or an earlier claim).</summary>
    public bool IsTaken(string name) => _taken.Contains(name);
}
