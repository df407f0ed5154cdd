using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Spans over simulated memory never outlive the access they were taken under. The host takes no views (its accesses
/// are checked copies); a domain's view gives spans only to the domain's own code; and memory an active domain loses is
/// held in quarantine until its code has left the core, then comes back, zeroed if its region had CLEANUP.
/// </summary>
public sealed class StaleViewTests
{
    private const ulong Start = 0x10000;

    [Fact]
    public void The_host_takes_no_view_of_simulated_memory()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        Assert.Equal(MonitorError.NotSupported, ErrorOf(() => monitor.GetCore(1).GetView(Start, 64, MemoryRights.Read)));
        Assert.Equal(MonitorError.NotSupported, ErrorOf(() => monitor.GetCore(0).GetView(Start, 64, MemoryRights.Read | MemoryRights.Write)));
        monitor.HostWrite(Start, "copies"u8); // the host's checked copies still work
    }

    [Fact]
    public void A_domains_view_gives_a_span_only_to_the_domains_own_code()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, Start, Start + Page, shared: true);
        MemoryView view = default;
        RunAs(core, child, domain =>
        {
            view = domain.GetView(Start, 16, MemoryRights.Read | MemoryRights.Write);
            view.Span[0] = 1; // inside: fine
        });

        Assert.True(view.IsCurrent);
        Assert.Equal(MonitorError.AccessDenied, ErrorOf(() => _ = view.Span)); // outside the domain's run: no span
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Memory_revoked_from_a_running_domain_is_held_until_it_leaves_then_comes_back_zeroed_with_CLEANUP(bool cleanup)
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle revoke = Give(core, SimulatedMonitor.RootRegion, child.Management, Start, Start + Page, extras: cleanup ? MemoryRights.Cleanup : MemoryRights.None);
        MonitorError duringRead = MonitorError.None, duringWrite = MonitorError.None;
        bool heldDuring = false;
        RunAs(core, child, domain =>
        {
            MemoryView view = domain.GetView(Start, 16, MemoryRights.Read | MemoryRights.Write);
            Span<byte> span = view.Span;
            "early"u8.CopyTo(span);
            HostThread.Run(() =>
            {
                monitor.GetCore(1).Revoke(revoke);
                duringRead = ErrorOf(() => monitor.HostRead(Start, new byte[5]));
                duringWrite = ErrorOf(() => monitor.HostWrite(Start, "host!"u8));
                heldDuring = monitor.HasQuarantine;
            });
            Assert.False(view.IsCurrent);
            Assert.Equal("early"u8.ToArray(), span[..5].ToArray()); // never zeroed under the running domain's feet
            "late!"u8.CopyTo(span); // before the domain leaves: before the shootdown completes, on hardware
        });

        Assert.Equal(MonitorError.AccessDenied, duringRead);   // the host did not get the memory back while the domain ran
        Assert.Equal(MonitorError.AccessDenied, duringWrite);
        Assert.True(heldDuring);
        Assert.False(monitor.HasQuarantine);
        byte[] back = new byte[5];
        monitor.HostRead(Start, back); // now it did: zeroed with CLEANUP (late write included), as the domain left it without
        Assert.Equal(cleanup ? new byte[5] : "late!"u8.ToArray(), back);
    }

    [Fact]
    public void Memory_held_in_quarantine_cannot_be_given_to_another_domain_until_the_first_leaves()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible, cores: 2);
        SimulatedCore core = monitor.GetCore(0);
        Child first = NewChild(core);
        Child second = NewChild(core);
        CapabilityHandle revoke = Give(core, SimulatedMonitor.RootRegion, first.Management, Start, Start + Page, extras: MemoryRights.Cleanup);
        RunAs(core, first, domain =>
        {
            Span<byte> span = domain.GetView(Start, 16, MemoryRights.Read | MemoryRights.Write).Span;
            HostThread.Run(() =>
            {
                SimulatedCore host = monitor.GetCore(1);
                host.Revoke(revoke);
                Give(host, SimulatedMonitor.RootRegion, second.Management, Start, Start + Page); // granted on at once
            });
            "secret"u8.CopyTo(span); // the first domain's late write
        });

        // The first domain has left: the second now holds the memory, without the first one's late write.
        byte[] seen = new byte[6];
        second = RunAs(core, second, domain => domain.Read(Start, seen));
        Assert.Equal(new byte[6], seen);
    }

    [Fact]
    public void Memory_another_domain_shares_stays_reachable_by_it_while_a_running_domain_loses_its_alias()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle revoke = Give(core, SimulatedMonitor.RootRegion, child.Management, Start, Start + Page, shared: true);
        MonitorError hostRead = MonitorError.InvalidOperation;
        RunAs(core, child, domain =>
        {
            _ = domain.GetView(Start, 16, MemoryRights.Read).Span;
            HostThread.Run(() =>
            {
                monitor.GetCore(1).Revoke(revoke);
                hostRead = ErrorOf(() => monitor.HostRead(Start, new byte[4])); // the host never lost it
            });
        });

        Assert.Equal(MonitorError.None, hostRead);
    }

    [Fact]
    public void A_carve_of_an_alias_is_not_unique_a_carve_of_a_carve_is()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult alias = core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, Start + (2 * Page), MemoryRights.Read | MemoryRights.Write);
        SegmentResult carveOfAlias = core.SegmentRegion(alias.ToSend, false, Start, Start + Page, MemoryRights.Read | MemoryRights.Write);
        SegmentResult carve = core.SegmentRegion(SimulatedMonitor.RootRegion, false, Start + (4 * Page), Start + (6 * Page), MemoryRights.Read | MemoryRights.Write);
        SegmentResult carveOfCarve = core.SegmentRegion(carve.ToSend, false, Start + (4 * Page), Start + (5 * Page), MemoryRights.Read | MemoryRights.Write);

        Assert.False(Unique(core, carveOfAlias.ToSend)); // the root still reaches it through the alias: not confidential
        Assert.True(Unique(core, carveOfCarve.ToSend));

        // Both granted to a child: the host still reads the first, not the second.
        Child child = NewChild(core);
        core.SendRegion(carveOfAlias.ToSend, child.Management, Start, false, Page, MemoryRights.None);
        core.SendRegion(carveOfCarve.ToSend, child.Management, Start + (4 * Page), false, Page, MemoryRights.None);
        Assert.Equal(MonitorError.None, core.TryRead(Start, new byte[8]));
        Assert.Equal(MonitorError.AccessDenied, core.TryRead(Start + (4 * Page), new byte[8]));
    }

    private static bool Unique(SimulatedCore core, CapabilityHandle handle)
    {
        foreach (CapabilityInfo info in Capabilities(core))
        {
            if (info.Handle == handle)
            {
                return info.Unique;
            }
        }

        throw new InvalidOperationException("No such capability.");
    }
}
