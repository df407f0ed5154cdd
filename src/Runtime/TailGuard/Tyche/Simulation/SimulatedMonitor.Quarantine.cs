using System;
using System.Collections.Generic;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// Revocation while the domain runs. On real hardware a revocation completes only once the cores running the domain
// have dropped the old translations (a TLB shootdown): from then on its accesses fault, and only then is CLEANUP
// memory zeroed and handed back: the domain never sees its memory zeroed under it. Simulated domain code is .NET code holding spans that cannot fault, so a revocation
// that takes memory from an active domain (one on a core's switch chain) completes in two steps: its map loses the
// memory at once (views go stale, checked accesses are refused), and the physical range is held in quarantine until
// the domain's code has left every core, which is when the shootdown completes. While it is held, no domain that could
// not reach those bytes before the revocation can reach them (the host included); when it is released, the bytes that
// were the domain's alone are zeroed where the revocation had CLEANUP (not before: the domain's code keeps a
// consistent view of its own memory until it leaves, and a reply it completes is never built from zeroed memory), so
// nothing it wrote through a stale span comes back to anyone; without CLEANUP they come back as the domain left them,
// as on hardware. CLEANUP memory nobody runs on is zeroed at once, as before.
public sealed partial class SimulatedMonitor
{
    private readonly List<Quarantine> _quarantines = new();
    private readonly List<(ulong Start, ulong End)> _pendingCleanup = new();

    /// <summary>Whether any memory is held in quarantine (tests).</summary>
    internal bool HasQuarantine
    {
        get
        {
            lock (_gate)
            {
                return _quarantines.Count > 0;
            }
        }
    }

    /// <summary>
    /// After a revocation: rebuilds the touched domains' maps and quarantines what an active domain lost. Caller holds
    /// the gate; <paramref name="touched"/> still have their maps from before the revocation.
    /// </summary>
    private void RebuildAfterRevocation(HashSet<DomainState> touched)
    {
        List<(ulong Start, ulong End)> cleanup = Normalize(_pendingCleanup);
        _pendingCleanup.Clear();
        List<(DomainState Domain, List<(ulong Start, ulong End)> Before)>? losers = null;
        foreach (DomainState domain in touched)
        {
            if (domain != _root && IsActive(domain))
            {
                (losers ??= new()).Add((domain, Physical(domain.Map)));
            }
        }

        if (losers is null)
        {
            Zero(cleanup); // nobody runs on it: CLEANUP at once
            foreach (DomainState domain in touched)
            {
                RebuildMap(domain);
            }

            return;
        }

        // Who could reach what before the revocation: the maps of every live domain, untouched ones included.
        var before = new List<(DomainState Domain, List<(ulong Start, ulong End)> Pieces)>();
        foreach (DomainState? domain in _domains)
        {
            if (domain is not null)
            {
                before.Add((domain, Physical(domain.Map)));
            }
        }

        foreach (DomainState domain in touched)
        {
            RebuildMap(domain);
        }

        var deferred = new List<(ulong Start, ulong End)>();
        foreach ((DomainState loser, List<(ulong Start, ulong End)> had) in losers)
        {
            List<(ulong Start, ulong End)> lost = Subtract(had, Physical(loser.Map));
            foreach ((ulong start, ulong end) in lost)
            {
                var quarantine = new Quarantine(loser, start, end);
                var shared = new List<(ulong Start, ulong End)>();
                foreach ((DomainState other, List<(ulong Start, ulong End)> pieces) in before)
                {
                    if (other == loser)
                    {
                        continue;
                    }

                    foreach ((ulong s, ulong e) in Intersect(pieces, start, end))
                    {
                        quarantine.Allowed.Add((other, s, e));
                        shared.Add((s, e));
                    }
                }

                foreach ((ulong s, ulong e) in Subtract([(start, end)], Normalize(shared)))
                {
                    // The running domain's own bytes: not zeroed under its feet (a real core could still write them until
                    // the shootdown completes), but on release, whatever was written meanwhile.
                    quarantine.Zeroed.AddRange(Intersect(cleanup, s, e));
                    deferred.Add((s, e));
                }

                _quarantines.Add(quarantine);
            }
        }

        Zero(Subtract(cleanup, Normalize(deferred)));
        RebuildAllMaps();
    }

    /// <summary>Notes a revoked CLEANUP range; the revocation's map rebuild zeroes it (caller holds the gate).</summary>
    private void PendCleanup(ulong start, ulong end) => _pendingCleanup.Add((start, end));

    private void Zero(List<(ulong Start, ulong End)> ranges)
    {
        foreach ((ulong start, ulong end) in ranges)
        {
            Array.Clear(_memory, (int)start, (int)(end - start));
        }
    }

    /// <summary>Releases the quarantines of domains no longer running anywhere (called when a core leaves a domain; caller holds the gate).</summary>
    internal void ReleaseQuarantines()
    {
        if (_quarantines.Count == 0)
        {
            return; // the switch path: nothing to do, nothing allocated
        }

        bool released = false;
        for (int index = _quarantines.Count - 1; index >= 0; index--)
        {
            Quarantine quarantine = _quarantines[index];
            if (IsActive(quarantine.Holder))
            {
                continue;
            }

            Zero(quarantine.Zeroed); // the shootdown is complete: CLEANUP now

            _quarantines.RemoveAt(index);
            released = true;
        }

        if (released)
        {
            RebuildAllMaps();
        }
    }

    /// <summary>The physical ranges <paramref name="domain"/> may not reach while memory is held in quarantine.</summary>
    private List<(ulong Start, ulong End)>? Forbidden(DomainState domain)
    {
        if (_quarantines.Count == 0)
        {
            return null;
        }

        var forbidden = new List<(ulong Start, ulong End)>();
        foreach (Quarantine quarantine in _quarantines)
        {
            var allowed = new List<(ulong Start, ulong End)>();
            if (quarantine.Holder != domain)
            {
                foreach ((DomainState other, ulong start, ulong end) in quarantine.Allowed)
                {
                    if (other == domain)
                    {
                        allowed.Add((start, end));
                    }
                }
            }

            forbidden.AddRange(Subtract([(quarantine.Start, quarantine.End)], Normalize(allowed)));
        }

        return Normalize(forbidden);
    }

    /// <summary>Whether the calling thread plays a core whose running domain is <paramref name="domain"/> (no lock: only that thread changes its core's chain).</summary>
    internal bool RunsOnCallingThread(DomainState domain) => CorePlayedBy(Environment.CurrentManagedThreadId) is { } core && core.Runs(domain);

    /// <summary>Whether the domain's code runs (or waits in a nested switch) on any core.</summary>
    private bool IsActive(DomainState domain)
    {
        foreach (SimulatedCore core in _cores)
        {
            if (core.Carries(domain))
            {
                return true;
            }
        }

        return false;
    }

    private void RebuildAllMaps()
    {
        foreach (DomainState? domain in _domains)
        {
            if (domain is not null)
            {
                RebuildMap(domain);
            }
        }
    }

    private static List<(ulong Start, ulong End)> Physical(MapEntry[] map)
    {
        var pieces = new List<(ulong Start, ulong End)>(map.Length);
        foreach (MapEntry entry in map)
        {
            pieces.Add((entry.PhysicalStart, entry.PhysicalStart + (entry.AddressEnd - entry.AddressStart)));
        }

        return Normalize(pieces);
    }

    /// <summary>Sorted, merged, non-empty intervals.</summary>
    private static List<(ulong Start, ulong End)> Normalize(List<(ulong Start, ulong End)> pieces)
    {
        pieces.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        var merged = new List<(ulong Start, ulong End)>(pieces.Count);
        foreach ((ulong start, ulong end) in pieces)
        {
            if (start >= end)
            {
                continue;
            }

            if (merged.Count > 0 && start <= merged[^1].End)
            {
                merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, end));
            }
            else
            {
                merged.Add((start, end));
            }
        }

        return merged;
    }

    /// <summary><paramref name="from"/> minus <paramref name="remove"/> (both normalized).</summary>
    private static List<(ulong Start, ulong End)> Subtract(List<(ulong Start, ulong End)> from, List<(ulong Start, ulong End)> remove)
    {
        var result = new List<(ulong Start, ulong End)>();
        foreach ((ulong start, ulong end) in from)
        {
            ulong cursor = start;
            foreach ((ulong s, ulong e) in remove)
            {
                if (e <= cursor || s >= end)
                {
                    continue;
                }

                if (s > cursor)
                {
                    result.Add((cursor, s));
                }

                cursor = Math.Max(cursor, e);
            }

            if (cursor < end)
            {
                result.Add((cursor, end));
            }
        }

        return result;
    }

    private static IEnumerable<(ulong Start, ulong End)> Intersect(List<(ulong Start, ulong End)> pieces, ulong start, ulong end)
    {
        foreach ((ulong s, ulong e) in pieces)
        {
            ulong low = Math.Max(s, start);
            ulong high = Math.Min(e, end);
            if (low < high)
            {
                yield return (low, high);
            }
        }
    }

    /// <summary>Physical memory an active domain lost, held until its code has left every core.</summary>
    private sealed class Quarantine(DomainState holder, ulong start, ulong end)
    {
        /// <summary>The domain whose code may still hold spans over the range.</summary>
        public DomainState Holder { get; } = holder;

        public ulong Start { get; } = start;

        public ulong End { get; } = end;

        /// <summary>The parts other domains could reach before the revocation: they keep reaching them.</summary>
        public List<(DomainState Domain, ulong Start, ulong End)> Allowed { get; } = new();

        /// <summary>The parts only the holder could reach that a CLEANUP revocation covered: zeroed on release, not before.</summary>
        public List<(ulong Start, ulong End)> Zeroed { get; } = new();
    }
}
