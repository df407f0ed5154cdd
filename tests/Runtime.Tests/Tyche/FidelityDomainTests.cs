using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Fidelity to the engine's domain rules (F10, F11, F15, F28): core contexts on sealed domains, sending Management,
/// domain ids and the boot-time domains, the measurement of a seal that fails.
/// </summary>
public sealed class FidelityDomainTests
{
    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_init_child_context; crates/capability-engine/src/lib.rs freeze_permissions")]
    public void F10_A_core_context_cannot_be_added_to_a_sealed_domain_nor_to_one_that_holds_a_Switch(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        Child sealedChild = NewChild(core);
        core.Seal(sealedChild.Management);

        Fails(MonitorError.AlreadySealed, () => core.AllocCoreContext(sealedChild.Management, 1));
        Assert.Single(Capabilities(core), info => info.Kind == CapabilityKind.Switch); // no Switch left behind by the failure

        Child holdsSwitch = NewChild(core, allocateContext: false);
        core.Send(sealedChild.Switch, holdsSwitch.Management);
        Fails(MonitorError.InvalidOperation, () => core.AllocCoreContext(holdsSwitch.Management, 0));

        // Deliberate differences (docs/tyche.md): the engine resets a context allocated twice and keeps fields written
        // before any context exists only until one is allocated; the simulator refuses both.
        Child twice = NewChild(core);
        Fails(MonitorError.InvalidOperation, () => core.AllocCoreContext(twice.Management, 0));
        Fails(MonitorError.InvalidCore, () => core.ConfigureCore(twice.Management, 1, ContextField.GuestRip, 0));
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/domain.rs send_management")]
    public void F11_Management_goes_only_to_a_manager_allowed_on_every_core_the_domain_may_use(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode, cores: 4);
        SimulatedCore core = monitor.GetCore(0);
        CapabilityHandle managed = core.CreateDomain();
        core.Configure(PermissionIndex.AllowedCores, managed, 0b0110);
        CapabilityHandle narrow = core.CreateDomain();
        core.Configure(PermissionIndex.AllowedCores, narrow, 0b0011);
        CapabilityHandle wide = core.CreateDomain();
        core.Configure(PermissionIndex.AllowedCores, wide, 0b1110);
        ulong managedId = Capabilities(core).Single(info => info.Handle == managed).Value1;

        Fails(MonitorError.InsufficientPermissions, () => core.Send(managed, narrow));
        Assert.Contains(Capabilities(core), info => info.Handle == managed); // the host keeps it (the engine would have lost it)

        core.Send(managed, wide);
        Assert.DoesNotContain(Capabilities(core), info => info.Kind == CapabilityKind.Management && info.Value1 == managedId);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs domain_id, create_io_domain; monitor/tyche/src/monitor.rs do_init")]
    public void F15_Compatible_the_host_is_domain_1_the_boot_I_O_domain_is_2_and_ids_come_from_a_counter_never_reused()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);

        Assert.Equal(2, monitor.DomainCount);
        Assert.Equal(SimulatedMonitor.HostDomainId, core.CurrentDomainId);
        CapabilityInfo[] boot = Capabilities(core).ToArray();
        Assert.Equal(2, boot.Length);
        Assert.Equal((CapabilityKind.Region, RegionKind.Root), (boot[0].Kind, boot[0].RegionKind));
        Assert.Equal((CapabilityKind.Management, (ulong)SimulatedMonitor.IoDomainId, false), (boot[1].Kind, boot[1].Value1, boot[1].Sealed));

        CapabilityHandle first = core.CreateDomain();
        Assert.Equal(3UL, Capabilities(core).Single(info => info.Handle == first).Value1);
        core.Revoke(first);
        CapabilityHandle second = core.CreateDomain(); // takes the freed pool slot, but a new id
        Assert.Equal(4UL, Capabilities(core).Single(info => info.Handle == second).Value1);

        TrustDomain hosted = monitor.CreateDomain();
        Assert.Equal(5, hosted.Id);
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_seal (the hash is computed only when seal succeeds)")]
    public void F28_A_compatible_seal_that_fails_for_lack_of_a_Switch_leaves_the_domain_sealed_with_a_zero_measurement(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core0 = monitor.GetCore(0);
        core0.Write(0x10000, "code"u8);
        Child child = NewChild(core0, allocateContext: false);
        Give(core0, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, MemoryRights.Read, MemoryRights.Hash);
        core0.AllocCoreContext(child.Management, 1); // no context on core 0, where the seal is called

        Fails(MonitorError.InvalidSwitch, () => core0.Seal(child.Management));

        if (mode == MonitorMode.Compatible)
        {
            Assert.Equal(new byte[32], core0.GetMeasurement(child.Management));
        }
        else
        {
            Fails(MonitorError.InvalidOperation, () => core0.GetMeasurement(child.Management)); // not sealed: no measurement
        }
    }
}
