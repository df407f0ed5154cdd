using System;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.Replication.Tests.Linearizability;

/// <summary>
/// Checks that a history of register operations is linearizable: Wing and Gong's search for a total order that
/// respects real time (an operation that returned before another was called comes first) and the registers'
/// sequential specification, with Lowe's memoization of (operations linearized, state) configurations already seen,
/// as Knossos and Porcupine do. Registers are independent, so each key is checked alone (P-compositionality).
/// Operations of unknown outcome return at infinity: they may take effect anywhere after their call, or never.
/// </summary>
internal static class LinearizabilityChecker
{
    /// <summary>Whether the whole history is linearizable; when not, <paramref name="failure"/> names the first key that is not, with its history.</summary>
    public static bool Check(IReadOnlyList<RegisterOperation> history, out string failure, int maxSteps = 50_000_000)
    {
        foreach (var key in history.GroupBy(o => o.Key, StringComparer.Ordinal))
        {
            // A read of unknown outcome changes nothing and constrains nothing: it can always be placed, so it only
            // multiplies the configurations to search.
            var operations = key.Where(o => o.Completed || o.Kind != RegisterOperationKind.Read).ToArray();
            var result = CheckOneKey(operations, maxSteps);
            if (result != true)
            {
                failure = $"key {key.Key} is {(result is null ? "too long to decide" : "not linearizable")}:\n  "
                    + string.Join("\n  ", operations.OrderBy(o => o.Call).Select(o => o.ToString()));
                return false;
            }
        }

        failure = string.Empty;
        return true;
    }

    /// <summary>True, false, or null when the search ran out of steps.</summary>
    internal static bool? CheckOneKey(RegisterOperation[] operations, int maxSteps)
    {
        // Events by time; at equal times calls come first (the two operations are then concurrent, the permissive reading).
        var head = new Event(-1, isCall: false);
        var events = new List<Event>(operations.Length * 2);
        for (var i = 0; i < operations.Length; i++)
        {
            var call = new Event(i, isCall: true);
            var ret = new Event(i, isCall: false);
            call.Match = ret;
            events.Add(call);
            events.Add(ret);
        }

        events.Sort((a, b) =>
        {
            var ta = a.IsCall ? operations[a.Id].Call : operations[a.Id].Return;
            var tb = b.IsCall ? operations[b.Id].Call : operations[b.Id].Return;
            return ta != tb ? ta.CompareTo(tb) : b.IsCall.CompareTo(a.IsCall);
        });

        var previous = head;
        foreach (var e in events)
        {
            previous.Next = e;
            e.Previous = previous;
            previous = e;
        }

        var linearized = new Bits(operations.Length);
        var seen = new HashSet<(Bits, long)>();
        var stack = new Stack<(Event Call, long StateBefore)>();
        long state = 0;
        var entry = head.Next;
        var steps = 0;
        while (head.Next is not null)
        {
            if (++steps > maxSteps)
            {
                return null;
            }

            if (entry!.IsCall)
            {
                if (operations[entry.Id].Step(state, out var next))
                {
                    var candidate = linearized.With(entry.Id);
                    if (seen.Add((candidate, next)))
                    {
                        stack.Push((entry, state));
                        state = next;
                        linearized = candidate;
                        Lift(entry);
                        entry = head.Next;
                        continue;
                    }
                }

                entry = entry.Next;
            }
            else
            {
                // The return of an operation not yet linearized: what was chosen before must change.
                if (stack.Count == 0)
                {
                    return false;
                }

                var (call, before) = stack.Pop();
                state = before;
                linearized = linearized.Without(call.Id);
                Unlift(call);
                entry = call.Next;
            }
        }

        return true;
    }

    private static void Lift(Event call)
    {
        call.Previous!.Next = call.Next;
        call.Next!.Previous = call.Previous;
        var ret = call.Match!;
        ret.Previous!.Next = ret.Next;
        if (ret.Next is not null)
        {
            ret.Next.Previous = ret.Previous;
        }
    }

    private static void Unlift(Event call)
    {
        var ret = call.Match!;
        ret.Previous!.Next = ret;
        if (ret.Next is not null)
        {
            ret.Next.Previous = ret;
        }

        call.Previous!.Next = call;
        call.Next!.Previous = call;
    }

    private sealed class Event(int id, bool isCall)
    {
        public int Id { get; } = id;

        public bool IsCall { get; } = isCall;

        public Event? Match { get; set; }

        public Event? Previous { get; set; }

        public Event? Next { get; set; }
    }

    /// <summary>An immutable set of operation indexes, compared by value.</summary>
    private readonly struct Bits : IEquatable<Bits>
    {
        private readonly ulong[] _words;

        public Bits(int count) => _words = new ulong[(count + 63) / 64];

        private Bits(ulong[] words) => _words = words;

        public Bits With(int i)
        {
            var words = (ulong[])_words.Clone();
            words[i / 64] |= 1UL << (i % 64);
            return new Bits(words);
        }

        public Bits Without(int i)
        {
            var words = (ulong[])_words.Clone();
            words[i / 64] &= ~(1UL << (i % 64));
            return new Bits(words);
        }

        public bool Equals(Bits other) => _words.AsSpan().SequenceEqual(other._words);

        public override bool Equals(object? obj) => obj is Bits other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var word in _words)
            {
                hash.Add(word);
            }

            return hash.ToHashCode();
        }
    }
}
