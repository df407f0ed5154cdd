using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Random sequences of monitor calls by random domains (strict mode: there a failed call changes nothing; compatible mode
/// deliberately keeps today's seal-then-check order). The engine is driven directly as any domain, which is what the
/// monitor sees when that domain runs; the public switching path is covered by the behaviour tests.
/// </summary>
public sealed class MonitorPropertyTests
{
    private const int Pages = 64;
    private const ulong Page = 4096;

    internal sealed record Op(int Kind, int Actor, int X, int Y, bool Flag)
    {
        public override string ToString() => $"{Kind}:{Actor}:{X}:{Y}:{Flag}";
    }

    private static readonly Gen<Op> OpGen = Gen.Select(Gen.Int[0, 7], Gen.Int[0, 7], Gen.Int[0, 4095], Gen.Int[0, 4095], Gen.Bool, (k, a, x, y, f) => new Op(k, a, x, y, f));

    private static readonly Gen<Op[]> Sequences = OpGen.Array[1, 60];

    private static SimulatedMonitor World()
    {
        var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { Mode = MonitorMode.Strict, CoreCount = 2, MemorySize = Pages * (int)Page });
        SimulatedCore host = monitor.GetCore(0);
        for (int child = 0; child < 3; child++)
        {
            // Each child starts with eight pages of its own and a page shared with the host, so that every domain can
            // segment, send and revoke from the first call.
            CapabilityHandle management = host.CreateDomain();
            host.Configure(PermissionIndex.MonitorInterface, management, (ulong)MonitorInterfaceRights.All);
            host.Configure(PermissionIndex.AllowedCores, management, 0b11);
            ulong own = (ulong)(16 + (child * 8)) * Page;
            TycheKit.Give(host, SimulatedMonitor.RootRegion, management, own, own + (8 * Page), MemoryRights.AccessMask);
            ulong shared = (ulong)(48 + child) * Page;
            TycheKit.Give(host, SimulatedMonitor.RootRegion, management, shared, shared + Page, shared: true);
        }

        return monitor;
    }

    private static List<DomainState> Live(SimulatedMonitor monitor)
    {
        var live = new List<DomainState>();
        for (int index = 0; index < SimulatedMonitor.DomainLimit; index++)
        {
            if (monitor.DomainAt(index) is { } domain)
            {
                live.Add(domain);
            }
        }

        return live;
    }

    private static List<CapabilityInfo> Table(DomainState domain)
    {
        var all = new List<CapabilityInfo>();
        ulong token = 0;
        do
        {
            token = SimulatedMonitor.DoEnumerate(domain, token, out CapabilityInfo info);
            if (info.Kind != CapabilityKind.None)
            {
                all.Add(info);
            }
        }
        while (token != 0);
        return all;
    }

    private static CapabilityHandle Pick(List<CapabilityInfo> table, int x, Func<CapabilityInfo, bool> filter)
    {
        if (x % 16 == 15)
        {
            return CapabilityHandle.FromRawValue((7UL << 16) | (ulong)(x % 128)); // a stale or bogus handle
        }

        CapabilityInfo[] matching = table.Where(filter).ToArray();
        return matching.Length == 0 ? CapabilityHandle.FromRawValue((ulong)(x % 128)) : matching[x % matching.Length].Handle;
    }

    private static readonly MemoryRights[] RightsChoices =
    [
        MemoryRights.Read, MemoryRights.Read | MemoryRights.Write, MemoryRights.Read | MemoryRights.Exec,
        MemoryRights.Write, MemoryRights.Read | MemoryRights.Hash, MemoryRights.AccessMask, MemoryRights.Read | MemoryRights.Write, MemoryRights.Read,
    ];

    /// <summary>Runs one call as the chosen domain and returns its outcome. Caller holds the gate.</summary>
    internal static MonitorError Apply(SimulatedMonitor monitor, Op op)
    {
        List<DomainState> live = Live(monitor);
        DomainState actor = live[op.Actor % live.Count];
        List<CapabilityInfo> table = Table(actor);
        CapabilityHandle any = Pick(table, op.X, static _ => true);
        CapabilityHandle region = Pick(table, op.X, static info => info.Kind == CapabilityKind.Region);
        CapabilityHandle management = Pick(table, op.X, static info => info.Kind == CapabilityKind.Management);
        CapabilityHandle destination = Pick(table, op.Y, static info => info.Kind is CapabilityKind.Management or CapabilityKind.Channel);
        switch (op.Kind)
        {
            case 0:
                return monitor.DoCreateDomain(actor, out _);
            case 1:
            {
                ulong start = (ulong)(op.Y % Pages) * Page;
                ulong length = (ulong)((op.X >> 4) % 4 + 1) * Page;
                if (table.FirstOrDefault(info => info.Handle == region) is { Kind: CapabilityKind.Region } parent && op.Y % 4 != 0)
                {
                    start = parent.Value1 + ((ulong)(op.Y % 4) * Page); // mostly inside the parent
                }

                return monitor.DoSegment(actor, region, op.Flag, start, start + length, RightsChoices[op.Y % RightsChoices.Length], out _);
            }

            case 2:
            {
                CapabilityInfo info = table.FirstOrDefault(entry => entry.Handle == region);
                ulong size = info.Kind == CapabilityKind.Region ? info.Value2 - info.Value1 : Page;
                ulong alias = op.Flag ? info.Value1 : (ulong)(op.X % Pages) * Page;
                MemoryRights extras = (MemoryRights)((op.Y >> 3) % 8 << 4); // combinations of HASH, CLEANUP, VITAL
                bool repeat = (op.X >> 6) % 4 == 0; // sometimes mapped twice back to back, sometimes a size that does not divide
                return monitor.DoSendRegion(actor, region, destination, alias, repeat, repeat ? size * (ulong)(1 + ((op.Y >> 6) % 3)) / (ulong)(1 + ((op.Y >> 8) % 2)) : size, extras);
            }

            case 3:
                return monitor.DoRevoke(actor, any);
            case 4:
                return monitor.DoDuplicate(actor, any, out _);
            case 5:
                return monitor.DoSend(actor, any, destination);
            case 6:
                return monitor.DoConfigure(actor, (PermissionIndex)(op.Y % 7), management, (ulong)op.X);
            default:
                return op.Flag
                    ? monitor.DoAllocCoreContext(actor, management, op.Y % 3, out _)
                    : monitor.DoSeal(actor, 0, management, out _);
        }
    }

    /// <summary>A carve whose ancestors are all exclusive (root or carves): only holders inside its subtree reach its bytes.</summary>
    private static void AssertCarvesAreExclusive(SimulatedMonitor monitor)
    {
        List<PhysicalAccess> map = monitor.GetAccessMap();
        var nodes = new HashSet<RegionNode>();
        foreach (DomainState domain in Live(monitor))
        {
            foreach (CapabilitySlot slot in domain.Slots)
            {
                if (slot.Kind == CapabilityKind.Region)
                {
                    for (RegionNode? node = slot.Region; node is not null; node = node.Parent)
                    {
                        nodes.Add(node);
                    }
                }
            }
        }

        foreach (RegionNode carve in nodes.Where(node => node.Kind == RegionKind.Carve))
        {
            bool exclusiveChain = true;
            for (RegionNode? ancestor = carve.Parent; ancestor is not null; ancestor = ancestor.Parent)
            {
                exclusiveChain &= ancestor.Kind is RegionKind.Root or RegionKind.Carve;
            }

            if (!exclusiveChain)
            {
                continue;
            }

            HashSet<int> owners = carve.SubtreePostOrder().Where(node => node.Holder is not null).Select(node => node.Holder!.Id).ToHashSet();
            foreach (PhysicalAccess access in map.Where(access => access.Start < carve.End && carve.Start < access.End))
            {
                Assert.True(owners.Contains(access.Domain), $"domain {access.Domain} reaches carved [{carve.Start:X}, {carve.End:X}) held by {string.Join(",", owners)}");
            }
        }
    }

    [Fact]
    public void Strict_random_call_sequences_keep_carves_exclusive_and_tables_within_limits_and_failed_calls_change_nothing()
    {
        Sequences.Array[Runs].Sample(batch => ForEach(batch, ops =>
        {
            using SimulatedMonitor monitor = World();
            foreach (Op op in ops)
            {
                byte[] before = monitor.CaptureState();
                MonitorError error;
                lock (monitor.Gate)
                {
                    error = Apply(monitor, op);
                }

                if (error != MonitorError.None)
                {
                    Assert.Equal(before, monitor.CaptureState());
                }

                List<DomainState> live = Live(monitor);
                Assert.True(live.Count <= SimulatedMonitor.DomainLimit);
                Assert.All(live, domain => Assert.True(Table(domain).Count <= SimulatedMonitor.CapabilityLimit));
                AssertCarvesAreExclusive(monitor);
            }
        }), seed: Seed, iter: 1, threads: 1);
    }

    [Fact]
    public void Strict_revoking_a_grant_restores_exactly_the_access_map_from_before_it()
    {
        Gen.Select(Sequences, Gen.Int[0, 7], Gen.Int[0, 4095], Gen.Int[0, 4095]).Array[Runs].Sample(batch => ForEach(batch, item =>
        {
            (Op[] ops, int actorPick, int x, int y) = item;
            using SimulatedMonitor monitor = World();
            lock (monitor.Gate)
            {
                foreach (Op op in ops)
                {
                    Apply(monitor, op);
                }
            }

            List<DomainState> live = Live(monitor);
            DomainState granter = live[actorPick % live.Count];
            List<CapabilityInfo> table = Table(granter);
            CapabilityInfo[] regions = table.Where(info => info.Kind == CapabilityKind.Region).ToArray();
            CapabilityInfo[] destinations = table.Where(info => info.Kind is CapabilityKind.Management or CapabilityKind.Channel).ToArray();
            if (regions.Length == 0 || destinations.Length == 0)
            {
                return;
            }

            CapabilityInfo region = regions[x % regions.Length];
            ulong pages = (region.Value2 - region.Value1) / Page;
            ulong start = region.Value1 + ((ulong)x % pages * Page);
            ulong end = Math.Min(region.Value2, start + ((ulong)(y % 4 + 1) * Page));
            List<PhysicalAccess> before = monitor.GetAccessMap();

            lock (monitor.Gate)
            {
                if (monitor.DoSegment(granter, region.Handle, false, start, end, region.Rights & MemoryRights.Read, out SegmentResult grant) != MonitorError.None)
                {
                    return;
                }

                monitor.DoSendRegion(granter, grant.ToSend, destinations[y % destinations.Length].Handle, (ulong)(y % Pages) * Page, false, end - start, MemoryRights.Cleanup);
                Assert.Equal(MonitorError.None, monitor.DoRevoke(granter, grant.ToRevoke));
            }

            Assert.Equal(before, monitor.GetAccessMap());
        }), seed: Seed, iter: 1, threads: 1);
    }

    // The seed fixes CsCheck's first iteration only, so one iteration generates the whole batch: CI stays deterministic.
    // Change the seed locally to explore other sequences.
    private const string Seed = "0000000000000";
    private const int Runs = 150;

    private static void ForEach<T>(T[] batch, Action<T> check)
    {
        for (int index = 0; index < batch.Length; index++)
        {
            try
            {
                check(batch[index]);
            }
            catch (Exception exception) when (exception is not InvalidOperationException { Source: "CsCheck" })
            {
                throw new InvalidOperationException($"Sequence {index} of the batch failed: {Check.Print(batch[index])}", exception);
            }
        }
    }
}
