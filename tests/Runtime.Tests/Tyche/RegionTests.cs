using System;
using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>M5-M13, M17, M21: grant, share, the region tree's rules, rights, send, revoke cascades, cleanup, duplicate.</summary>
public sealed class RegionTests
{
    private const ulong Start = 0x10000;
    private const ulong End = 0x14000;

    [Fact]
    public void M5_Compatible_after_a_grant_the_granter_can_neither_read_nor_write_and_the_grantee_can_and_sees_it_unique()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Assert.Equal(MonitorError.None, WriteError(core, Start));

        Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End);

        Assert.Equal(MonitorError.AccessDenied, ReadError(core, Start));
        Assert.Equal(MonitorError.AccessDenied, WriteError(core, End - 16));
        Assert.Equal(MonitorError.AccessDenied, ReadError(core, Start - 8)); // straddling the edge is refused too
        Assert.Equal(MonitorError.None, ReadError(core, Start - 16));       // the rest stays the host's

        MonitorError read = MonitorError.AccessDenied, write = MonitorError.AccessDenied;
        CapabilityInfo region = default;
        RunAs(core, child, domain =>
        {
            write = WriteError(domain, Start);
            read = ReadError(domain, End - 16);
            region = Find(domain, CapabilityKind.Region);
        });
        Assert.Equal(MonitorError.None, read);
        Assert.Equal(MonitorError.None, write);
        Assert.True(region.Unique);
        Assert.Equal(RegionKind.Carve, region.RegionKind);
        Assert.Equal((Start, End), (region.Value1, region.Value2));
    }

    [Fact]
    public void M6_Compatible_after_a_share_both_can_access_and_it_enumerates_not_unique()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End, shared: true);
        core.Write(Start, "host"u8);

        byte[] seen = new byte[4];
        CapabilityInfo region = default;
        RunAs(core, child, domain =>
        {
            domain.Read(Start, seen);
            domain.Write(Start + 4, "dom!"u8);
            region = Find(domain, CapabilityKind.Region);
        });

        byte[] back = new byte[8];
        core.Read(Start, back);
        Assert.Equal("host"u8.ToArray(), seen);
        Assert.Equal("hostdom!"u8.ToArray(), back);
        Assert.False(region.Unique);
        Assert.Equal(RegionKind.Alias, region.RegionKind);
    }

    [Fact]
    public void M7_Compatible_carve_over_a_child_alias_over_a_carve_out_of_range_and_start_after_end_fail_InvalidOperation_alias_over_alias_is_fine()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        CapabilityHandle root = SimulatedMonitor.RootRegion;
        var rw = MemoryRights.Read | MemoryRights.Write;
        core.SegmentRegion(root, shared: true, 0x10000, 0x12000, rw);
        core.SegmentRegion(root, shared: false, 0x20000, 0x22000, rw);

        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(root, shared: false, 0x11000, 0x13000, rw)); // carve over an alias
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(root, shared: false, 0x21000, 0x23000, rw)); // carve over a carve
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(root, shared: true, 0x21000, 0x21800, rw));  // alias over a carve
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(root, shared: true, 0xFF000, 0x101000, rw)); // beyond the root (1 MiB)
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(root, shared: true, 0x5000, 0x4000, rw));    // start > end
        core.SegmentRegion(root, shared: true, 0x11000, 0x13000, rw); // alias over alias

        SegmentResult carved = core.SegmentRegion(root, shared: false, 0x30000, 0x32000, rw);
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(carved.ToSend, shared: true, 0x2F000, 0x31000, rw)); // outside its parent
    }

    [Fact]
    public void M8_Compatible_a_child_wider_than_its_parent_W_or_X_without_R_and_extras_in_segment_all_fail()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult readOnly = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, Start, End, MemoryRights.Read);

        // The engine's errors (segment.rs check_ops, monitor.rs do_segment_region): wider rights and extras are InvalidOperation.
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(readOnly.ToSend, true, Start, Start + Page, MemoryRights.Read | MemoryRights.Write));
        Fails(MonitorError.InvalidMemOps, () => core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Write));
        Fails(MonitorError.InvalidMemOps, () => core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Exec));
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read | MemoryRights.Hash));
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read | MemoryRights.Cleanup));
        core.SegmentRegion(readOnly.ToSend, true, Start, Start + Page, MemoryRights.Read);
    }

    [Fact]
    public void M8_Compatible_send_region_accepts_only_the_extras_HASH_CLEANUP_VITAL()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, false, Start, End, MemoryRights.Read);
        Fails(MonitorError.InvalidMemOps, () => core.SendRegion(segment.ToSend, child.Management, Start, false, End - Start, MemoryRights.Write));
        core.SendRegion(segment.ToSend, child.Management, Start, false, End - Start, MemoryRights.ExtrasMask);
    }

    [Fact]
    public void M9_Compatible_send_rejects_regions_InvalidCapa_and_bad_destinations_WrongCapabilityType_and_a_sent_capability_is_gone()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read);

        Fails(MonitorError.InvalidCapa, () => core.Send(segment.ToSend, child.Management));
        Fails(MonitorError.WrongCapabilityType, () => core.Send(segment.ToRevoke, segment.ToSend));
        Fails(MonitorError.WrongCapabilityType, () => core.Send(segment.ToRevoke, child.Switch));

        core.Send(segment.ToRevoke, child.Management);
        Fails(MonitorError.CapabilityDoesNotExist, () => core.Revoke(segment.ToRevoke));
        Fails(MonitorError.CapabilityDoesNotExist, () => core.Send(segment.ToRevoke, child.Management));
        int received = 0;
        RunAs(core, child, domain => received = Capabilities(domain).Count(info => info.Kind == CapabilityKind.RegionRevoke));
        Assert.Equal(1, received);
    }

    [Fact]
    public void M10_Compatible_revoke_cascades_through_grandchildren_and_returns_the_whole_range()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child d1 = NewChild(core);
        CapabilityHandle grant = Give(core, SimulatedMonitor.RootRegion, d1.Management, Start, End);

        int d2Id = -1;
        RunAs(core, d1, domain =>
        {
            CapabilityHandle d2 = domain.CreateDomain();
            d2Id = (int)Capabilities(domain).Single(info => info.Handle == d2).Value1;
            Give(domain, Find(domain, CapabilityKind.Region).Handle, d2, Start + Page, Start + (2 * Page));
        });
        Assert.Contains(monitor.GetAccessMap(), access => access.Domain == d2Id && access.Start == Start + Page);
        Assert.Equal(MonitorError.AccessDenied, ReadError(core, Start));

        core.Revoke(grant);

        Assert.DoesNotContain(monitor.GetAccessMap(), access => access.Domain != SimulatedMonitor.HostDomainId && access.End > Start && access.Start < End);
        Assert.Equal(MonitorError.None, core.TryRead(Start, new byte[End - Start]));
        Assert.Equal(MonitorError.None, core.TryWrite(Start, new byte[End - Start]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void M11_Compatible_CLEANUP_zeroes_the_bytes_before_the_parent_regains_them_and_without_it_they_stay(bool cleanup)
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle grant = Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End, extras: cleanup ? MemoryRights.Cleanup : MemoryRights.None);
        RunAs(core, child, domain => domain.Write(Start, "secret"u8));

        core.Revoke(grant);
        byte[] back = new byte[6];
        core.Read(Start, back);
        Assert.Equal(cleanup ? new byte[6] : "secret"u8.ToArray(), back);
    }

    [Fact]
    public void M12_Compatible_a_root_region_cannot_be_revoked()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Fails(MonitorError.InvalidOperation, () => core.Revoke(SimulatedMonitor.RootRegion));
        Assert.Equal(MonitorError.None, ReadError(core, 0, 4096));
    }

    [Fact]
    public void M13_Compatible_duplicate_works_for_Channel_and_RegionRevoke_and_fails_CannotDuplicate_for_Region_Management_Switch()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read);

        CapabilityHandle copy = core.Duplicate(segment.ToRevoke);
        Assert.Equal(CapabilityKind.RegionRevoke, Capabilities(core).Single(info => info.Handle == copy).Kind);
        Fails(MonitorError.CannotDuplicate, () => core.Duplicate(segment.ToSend));
        Fails(MonitorError.CannotDuplicate, () => core.Duplicate(child.Management));
        Fails(MonitorError.CannotDuplicate, () => core.Duplicate(child.Switch));

        int channels = 0;
        RunAs(core, child, domain =>
        {
            domain.Duplicate(Find(domain, CapabilityKind.Channel).Handle);
            channels = Capabilities(domain).Count(info => info.Kind == CapabilityKind.Channel);
        });
        Assert.Equal(2, channels);
    }

    [Fact]
    public void M17_Compatible_send_region_over_an_existing_mapping_of_the_target_fails_AlreadyAliased()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End, shared: true);

        SegmentResult other = core.SegmentRegion(SimulatedMonitor.RootRegion, true, 0x40000, 0x42000, MemoryRights.Read);
        Fails(MonitorError.AlreadyAliased, () => core.SendRegion(other.ToSend, child.Management, End - Page, false, 0x2000, MemoryRights.None));
        core.SendRegion(other.ToSend, child.Management, End, false, 0x2000, MemoryRights.None); // just after: fine

        // The child sees the second region at its own address End, backed by physical 0x40000.
        core.Write(0x40000, "mapped"u8);
        byte[] seen = new byte[6];
        RunAs(core, child, domain => domain.Read(End, seen));
        Assert.Equal("mapped"u8.ToArray(), seen);
    }

    [Fact]
    public void M21_Strict_send_region_into_a_sealed_domain_fails()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Strict);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        core.Seal(child.Management);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read);

        Fails(MonitorError.AlreadySealed, () => core.SendRegion(segment.ToSend, child.Management, Start, false, End - Start, MemoryRights.None));
        Assert.Equal(MonitorError.None, ReadError(core, Start)); // still the host's alone
    }

    [Fact]
    public void M21_Compatible_today_s_monitor_lets_regions_into_a_sealed_domain()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        core.Seal(child.Management);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, true, Start, End, MemoryRights.Read);
        core.SendRegion(segment.ToSend, child.Management, Start, false, End - Start, MemoryRights.None);
        Assert.Contains(monitor.GetAccessMap(), access => access.Domain != SimulatedMonitor.HostDomainId && access.Start == Start);
    }
}
