using System.Linq;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Fidelity to the engine's region rules (F8-F9, F16-F19): the confidential flag of carves and aliases, empty ranges,
/// SEND_REGION with is_repeat and size, root regions, overlap and extras. Each test names its reference file.
/// </summary>
public sealed class FidelityRegionTests
{
    private const ulong A = 0x10000;
    private const ulong B = 0x40000;
    private static readonly MemoryRights Rw = MemoryRights.Read | MemoryRights.Write;

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/segment.rs alias_region, carve_region; capa.rs info")]
    public void F8_Compatible_a_carve_inherits_its_parent_s_confidential_flag_so_a_carve_of_an_alias_is_not_unique_and_is_measured_so()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult alias = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, A, A + (2 * Page), MemoryRights.Read | MemoryRights.Exec);
        SegmentResult carveOfAlias = core.SegmentRegion(alias.ToSend, shared: false, A, A + Page, MemoryRights.Read | MemoryRights.Exec);
        SegmentResult carveOfRoot = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, B, B + Page, Rw);
        SegmentResult carveOfCarve = core.SegmentRegion(carveOfRoot.ToSend, shared: false, B, B + 0x800, Rw);

        CapabilityInfo Info(CapabilityHandle handle) => Capabilities(core).Single(info => info.Handle == handle);
        Assert.False(Info(alias.ToSend).Unique);
        Assert.False(Info(carveOfAlias.ToSend).Unique);
        Assert.False(Info(carveOfAlias.ToRevoke).Unique); // RegionRevoke reports the region's flag too
        Assert.True(Info(carveOfRoot.ToSend).Unique);
        Assert.True(Info(carveOfCarve.ToSend).Unique);
        Assert.True(Info(SimulatedMonitor.RootRegion).Unique);

        // The measurement hashes the flag: the carve of an alias contributes unique = 0.
        byte[] code = RandomNumberGenerator.GetBytes((int)Page);
        core.Write(A, code);
        Child child = NewChild(core);
        core.SendRegion(carveOfAlias.ToSend, child.Management, A, false, Page, MemoryRights.Hash);
        core.Seal(child.Management);
        byte[] expected = SHA256.HashData([.. MeasurementTests.Describe(A, A + Page, hash: true, exec: true, write: false, read: true, unique: false), .. code]);
        Assert.Equal(expected, core.GetMeasurement(child.Management));
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/region.rs AccessRights::is_valid (start <= end)")]
    public void F9_Compatible_an_empty_range_is_a_valid_segment_and_start_after_end_is_not()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult empty = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, A, A, MemoryRights.Read);
        CapabilityInfo info = Capabilities(core).Single(each => each.Handle == empty.ToSend);
        Assert.Equal((A, A), (info.Value1, info.Value2));
        Assert.Equal(MonitorError.None, ReadError(core, A)); // nothing was carved out of the host's access
        Fails(MonitorError.InvalidOperation, () => core.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, A + 1, A, MemoryRights.Read));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_send_region (is_repeat, size); x86_64/platform.rs map_region")]
    public void F16_Compatible_send_region_with_is_repeat_maps_size_over_region_size_copies_and_otherwise_ignores_size()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        core.Write(A, "page"u8);
        const ulong At = 0x80000;

        SegmentResult repeated = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, A, A + Page, MemoryRights.Read);
        Fails(MonitorError.InvalidValue, () => core.SendRegion(repeated.ToSend, child.Management, At, true, (2 * Page) + 1, MemoryRights.None));
        Fails(MonitorError.InvalidValue, () => core.SendRegion(repeated.ToSend, child.Management, At, true, 0, MemoryRights.None));
        core.SendRegion(repeated.ToSend, child.Management, At, true, 3 * Page, MemoryRights.None);

        SegmentResult once = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, B, B + Page, MemoryRights.Read);
        core.SendRegion(once.ToSend, child.Management, B, false, 12345, MemoryRights.None); // size is not used without is_repeat

        var seen = new byte[3][];
        MonitorError beyondRepeat = MonitorError.None, beyondOnce = MonitorError.None;
        RunAs(core, child, domain =>
        {
            for (int copy = 0; copy < 3; copy++)
            {
                seen[copy] = new byte[4];
                domain.Read(At + ((ulong)copy * Page), seen[copy]);
            }

            beyondRepeat = ReadError(domain, At + (3 * Page));
            beyondOnce = ReadError(domain, B + Page);
        });
        Assert.All(seen, bytes => Assert.Equal("page"u8.ToArray(), bytes));
        Assert.Equal(MonitorError.AccessDenied, beyondRepeat);
        Assert.Equal(MonitorError.AccessDenied, beyondOnce);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs send_with_flags, segment.rs send (no root check)")]
    public void F17_Compatible_a_root_region_can_be_sent_and_its_new_holder_still_cannot_revoke_it()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible, memory: 64 * (int)Page);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        core.Write(A, "root"u8);

        core.SendRegion(SimulatedMonitor.RootRegion, child.Management, 0, false, 64 * Page, MemoryRights.None);

        Assert.Equal(MonitorError.AccessDenied, ReadError(core, A));
        byte[] seen = new byte[4];
        MonitorError revoke = MonitorError.None;
        RunAs(core, child, domain =>
        {
            domain.Read(A, seen);
            revoke = ErrorOf(() => domain.Revoke(Find(domain, CapabilityKind.Region).Handle));
        });
        Assert.Equal("root"u8.ToArray(), seen);
        Assert.Equal(MonitorError.InvalidOperation, revoke);
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_send_region (check_overlaps over repeat x size)")]
    public void F18_Compatible_the_overlap_check_covers_every_repeated_copy()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, B, B + Page, MemoryRights.Read, shared: true);

        SegmentResult page = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, A, A + Page, MemoryRights.Read);
        Fails(MonitorError.AlreadyAliased, () => core.SendRegion(page.ToSend, child.Management, B - (2 * Page), true, 3 * Page, MemoryRights.None)); // the third copy lands on B
        core.SendRegion(page.ToSend, child.Management, B - (2 * Page), true, 2 * Page, MemoryRights.None); // two copies end just before B
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_send_region (is_only_hcv); segment.rs add_hcv")]
    public void F19_Compatible_extras_that_are_access_rights_fail_InvalidPermissions_and_UNCACHEABLE_is_an_extra()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, A, A + Page, MemoryRights.Read);

        Fails(MonitorError.InvalidPermissions, () => core.SendRegion(segment.ToSend, child.Management, A, false, Page, MemoryRights.Read));
        Fails(MonitorError.InvalidPermissions, () => core.SendRegion(segment.ToSend, child.Management, A, false, Page, MemoryRights.Read | MemoryRights.Write | MemoryRights.Hash));
        core.SendRegion(segment.ToSend, child.Management, A, false, Page, MemoryRights.Uncacheable | MemoryRights.Cleanup);

        CapabilityInfo received = default;
        RunAs(core, child, domain => received = Find(domain, CapabilityKind.Region));
        Assert.Equal(MemoryRights.Read | MemoryRights.Uncacheable | MemoryRights.Cleanup, received.Rights);
    }
}
