using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>M1-M3, M19, M20: creating, configuring, freezing and sealing domains; the table limits; strict permissions.</summary>
public sealed class DomainLifecycleTests
{
    [Fact]
    public void M1_Compatible_create_returns_management_and_the_child_holds_a_channel_to_its_manager_and_enumerates_unsealed()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);

        CapabilityInfo management = Capabilities(core).Single(info => info.Handle == child.Management);
        Assert.Equal(CapabilityKind.Management, management.Kind);
        Assert.False(management.Sealed);

        CapabilityInfo[] seenByChild = [];
        RunAs(core, child, domain => seenByChild = Capabilities(domain).ToArray());
        CapabilityInfo channel = Assert.Single(seenByChild, info => info.Kind == CapabilityKind.Channel);
        Assert.Equal((ulong)SimulatedMonitor.HostDomainId, channel.Value1); // the manager is the host, the engine's domain 1
    }

    [Fact]
    public void M2_Compatible_configure_works_before_a_core_context_and_fails_AlreadyFrozen_after()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        CapabilityHandle child = core.CreateDomain();

        core.Configure(PermissionIndex.AllowedCores, child, 0b1);
        core.Configure(PermissionIndex.AllowedTraps0, child, 1UL << 3);
        core.AllocCoreContext(child, 0);

        Fails(MonitorError.AlreadyFrozen, () => core.Configure(PermissionIndex.AllowedTraps0, child, 0));
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    public void M3_Both_modes_after_seal_configure_and_a_second_seal_fail_AlreadySealed_and_a_context_outside_the_allowed_cores_fails_InvalidCore(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode, cores: 4);
        SimulatedCore core = monitor.GetCore(0);
        CapabilityHandle child = core.CreateDomain();
        core.Configure(PermissionIndex.AllowedCores, child, 0b011);
        core.AllocCoreContext(child, 0);
        CapabilityHandle switchCapability = core.Seal(child);

        Assert.Equal(CapabilityKind.Switch, Capabilities(core).Single(info => info.Handle == switchCapability).Kind);
        Fails(MonitorError.AlreadySealed, () => core.Configure(PermissionIndex.AllowedTraps0, child, 1));
        Fails(MonitorError.AlreadySealed, () => core.Seal(child));
        Fails(MonitorError.InvalidCore, () => core.AllocCoreContext(child, 2));
        Fails(MonitorError.InvalidCore, () => core.AllocCoreContext(child, 17));
        Fails(MonitorError.AlreadySealed, () => core.AllocCoreContext(child, 1)); // inside the allowed set, but sealed (lib.rs freeze_permissions)
    }

    [Fact]
    public void M3_Compatible_seal_without_a_switch_for_the_calling_core_fails_InvalidSwitch_but_leaves_the_domain_sealed()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core0 = monitor.GetCore(0);
        CapabilityHandle child = core0.CreateDomain();
        core0.Configure(PermissionIndex.AllowedCores, child, 0b11);
        core0.AllocCoreContext(child, 1); // a context on core 1 only

        Fails(MonitorError.InvalidSwitch, () => core0.Seal(child));
        Assert.True(Capabilities(core0).Single(info => info.Handle == child).Sealed);
        Fails(MonitorError.AlreadySealed, () => core0.Seal(child));
    }

    [Fact]
    public void M3_Strict_seal_without_a_switch_for_the_calling_core_fails_InvalidSwitch_and_the_domain_stays_unsealed()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Strict);
        SimulatedCore core0 = monitor.GetCore(0);
        CapabilityHandle child = core0.CreateDomain();
        core0.Configure(PermissionIndex.AllowedCores, child, 0b11);
        core0.AllocCoreContext(child, 1);

        Fails(MonitorError.InvalidSwitch, () => core0.Seal(child));
        Assert.False(Capabilities(core0).Single(info => info.Handle == child).Sealed);

        core0.AllocCoreContext(child, 0);
        core0.Seal(child);
        Assert.True(Capabilities(core0).Single(info => info.Handle == child).Sealed);
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    public void M19_Both_modes_the_129th_capability_and_the_33rd_domain_the_host_and_the_boot_I_O_domain_included_fail_OutOfMemory(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, 0, Page, MemoryRights.Read);
        while (Capabilities(core).Count < SimulatedMonitor.CapabilityLimit)
        {
            core.Duplicate(segment.ToRevoke);
        }

        Assert.Equal(128, Capabilities(core).Count);
        Fails(MonitorError.OutOfMemory, () => core.Duplicate(segment.ToRevoke));
        Fails(MonitorError.OutOfMemory, () => core.CreateDomain());

        using SimulatedMonitor fresh = Monitor(mode);
        SimulatedCore host = fresh.GetCore(0);
        Assert.Equal(2, fresh.DomainCount); // the host and the I/O domain exist from boot
        for (int index = 2; index < SimulatedMonitor.DomainLimit; index++)
        {
            host.CreateDomain();
        }

        Assert.Equal(32, fresh.DomainCount);
        Fails(MonitorError.OutOfMemory, () => host.CreateDomain());
        Assert.Equal(32, fresh.DomainCount);
    }

    [Fact]
    public void M20_Strict_a_domain_without_SPAWN_cannot_create_domains()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Strict);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core, monitorInterface: (ulong)(MonitorInterfaceRights.All & ~MonitorInterfaceRights.Spawn));

        MonitorError error = MonitorError.None;
        RunAs(core, child, domain => error = ErrorOf(() => domain.CreateDomain()));
        Assert.Equal(MonitorError.InsufficientPermissions, error);
    }

    [Fact]
    public void M20_Strict_a_manager_cannot_grant_a_permission_bit_it_lacks()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Strict);
        SimulatedCore core = monitor.GetCore(0);
        var held = MonitorInterfaceRights.Spawn | MonitorInterfaceRights.Send;
        Child child = NewChild(core, monitorInterface: (ulong)held);

        MonitorError beyond = MonitorError.None;
        MonitorError within = (MonitorError)(-1); // no call returns this
        RunAs(core, child, domain =>
        {
            CapabilityHandle grandchild = domain.CreateDomain();
            beyond = ErrorOf(() => domain.Configure(PermissionIndex.MonitorInterface, grandchild, (ulong)(held | MonitorInterfaceRights.Carve)));
            within = ErrorOf(() => domain.Configure(PermissionIndex.MonitorInterface, grandchild, (ulong)MonitorInterfaceRights.Send));
        });
        Assert.Equal(MonitorError.InsufficientPermissions, beyond);
        Assert.Equal(MonitorError.None, within);
    }

    [Fact]
    public void M20_Compatible_today_s_monitor_does_not_check_monitor_call_permissions()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core, monitorInterface: 0);

        MonitorError create = MonitorError.InsufficientPermissions;
        RunAs(core, child, domain => create = ErrorOf(() => domain.CreateDomain()));
        Assert.Equal(MonitorError.None, create);
    }
}
