using System;
using System.Collections.Immutable;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// What the analysis knows about one value: either all of it is secret (<see cref="WholePath"/>), or only some of its
/// members are (fields and properties of an object built in the method, elements of a tuple as <c>Item1</c>,
/// <c>Item2</c>...). Each secret part carries the path it came by ("'_key' -> 'k'"). Immutable; null means "not secret".
/// Members nest at most <see cref="MaxMemberDepth"/> deep (deeper values count as wholly secret), so a loop that
/// builds a chain of objects still reaches a fixed point.
/// </summary>
internal sealed class Taint : IEquatable<Taint>
{
    internal const int MaxMemberDepth = 3;

    private static readonly ImmutableSortedDictionary<string, Taint> NoMembers = ImmutableSortedDictionary.Create<string, Taint>(StringComparer.Ordinal);

    private Taint(string? wholePath, ImmutableSortedDictionary<string, Taint> members)
    {
        WholePath = wholePath;
        Members = members;
    }

    /// <summary>Set when every part of the value is secret.</summary>
    internal string? WholePath { get; }

    /// <summary>When <see cref="WholePath"/> is null: the members that are secret (never empty).</summary>
    internal ImmutableSortedDictionary<string, Taint> Members { get; }

    /// <summary>The path to report for the value as a whole: its own, or that of its first secret member.</summary>
    internal string Path
    {
        get
        {
            if (WholePath is not null)
            {
                return WholePath;
            }

            foreach (var member in Members)
            {
                return member.Value.Path;
            }

            return "";
        }
    }

    internal static Taint Whole(string path) => new(path, NoMembers);

    /// <summary>A value whose listed members are secret, or null when none is.</summary>
    internal static Taint? OfMembers(ImmutableSortedDictionary<string, Taint> members) =>
        members.IsEmpty ? null : new Taint(null, members).Bounded(MaxMemberDepth);

    /// <summary>The taint of member <paramref name="name"/>: all of a wholly secret value, or that member's.</summary>
    internal Taint? Member(string name) =>
        WholePath is not null ? this : Members.TryGetValue(name, out var member) ? member : null;

    /// <summary>
    /// The value with member <paramref name="name"/> replaced (a strong update: a public value clears it). A wholly
    /// secret value stays wholly secret: its other members still are.
    /// </summary>
    internal static Taint? WithMember(Taint? value, string name, Taint? member)
    {
        if (value?.WholePath is not null)
        {
            return value;
        }

        var members = value?.Members ?? NoMembers;
        return OfMembers(member is null ? members.Remove(name) : members.SetItem(name, member));
    }

    /// <summary>The join of two facts at a merge of control flow: secret if secret on either path.</summary>
    internal static Taint? Join(Taint? first, Taint? second)
    {
        if (first is null || ReferenceEquals(first, second))
        {
            return second ?? first;
        }

        if (second is null || first.WholePath is not null)
        {
            return first;
        }

        if (second.WholePath is not null)
        {
            return second;
        }

        var members = first.Members;
        foreach (var member in second.Members)
        {
            members = members.SetItem(member.Key, Join(members.TryGetValue(member.Key, out var existing) ? existing : null, member.Value)!);
        }

        return OfMembers(members);
    }

    /// <summary>All of the value counts as secret, with the path of its first secret part (e.g. an array of secrets).</summary>
    internal Taint Collapse() => WholePath is not null ? this : Whole(Path);

    /// <summary>The value stored in variable <paramref name="name"/>: every path gets "-> 'name'" (member paths "'name.Member'").</summary>
    internal Taint Into(string name)
    {
        if (WholePath is not null)
        {
            return Whole(Extend(WholePath, name));
        }

        var members = ImmutableSortedDictionary.CreateBuilder<string, Taint>(StringComparer.Ordinal);
        foreach (var member in Members)
        {
            members.Add(member.Key, member.Value.Into(name + "." + member.Key));
        }

        return new Taint(null, members.ToImmutable());
    }

    /// <summary>Every path gets "-> <paramref name="step"/>" appended as written (e.g. "'Helper'").</summary>
    internal Taint Through(string step) => MapPaths(path => path + " -> " + step);

    /// <summary>The same structure with every path replaced by <paramref name="path"/> (a callee's result, seen from the call).</summary>
    internal Taint Relabel(string path) => MapPaths(_ => path);

    private Taint MapPaths(Func<string, string> map)
    {
        if (WholePath is not null)
        {
            return Whole(map(WholePath));
        }

        var members = ImmutableSortedDictionary.CreateBuilder<string, Taint>(StringComparer.Ordinal);
        foreach (var member in Members)
        {
            members.Add(member.Key, member.Value.MapPaths(map));
        }

        return new Taint(null, members.ToImmutable());
    }

    /// <summary>
    /// Appends "-> 'name'" to <paramref name="path"/>, unless the path already went through 'name' (a loop): then the
    /// path up to its first visit is kept, so paths stay finite and the analysis converges.
    /// </summary>
    internal static string Extend(string path, string name)
    {
        var segment = "'" + name + "'";
        var at = path.IndexOf(segment, StringComparison.Ordinal);
        if (at >= 0 && (at == 0 || path[at - 1] == ' ') && (at + segment.Length == path.Length || path[at + segment.Length] == ' '))
        {
            return path.Substring(0, at + segment.Length);
        }

        return path + " -> " + segment;
    }

    private Taint Bounded(int depth)
    {
        if (WholePath is not null)
        {
            return this;
        }

        if (depth <= 0)
        {
            return Collapse();
        }

        var changed = false;
        var members = Members;
        foreach (var member in Members)
        {
            var bounded = member.Value.Bounded(depth - 1);
            if (!ReferenceEquals(bounded, member.Value))
            {
                members = members.SetItem(member.Key, bounded);
                changed = true;
            }
        }

        return changed ? new Taint(null, members) : this;
    }

    public bool Equals(Taint? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || !string.Equals(WholePath, other.WholePath, StringComparison.Ordinal) || Members.Count != other.Members.Count)
        {
            return false;
        }

        foreach (var member in Members)
        {
            if (!other.Members.TryGetValue(member.Key, out var theirs) || !member.Value.Equals(theirs))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is Taint other && Equals(other);

    public override int GetHashCode() => WholePath is not null ? StringComparer.Ordinal.GetHashCode(WholePath) : Members.Count;
}
