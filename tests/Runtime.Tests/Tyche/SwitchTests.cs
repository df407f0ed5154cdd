using System;
using System.Linq;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>M14-M16, M18: switches, traps, register access after sealing, revoking running domains.</summary>
public sealed class SwitchTests
{
    private const int PageFault = 14;

    [Fact]
    public void M14_Compatible_switch_consumes_its_capability_and_the_target_gets_exactly_one_return_capability_and_status_0()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);

        CapabilityInfo[] switches = [];
        DomainEntryContext seen = default;
        child.Script.Body = context =>
        {
            seen = context;
            switches = Capabilities(context.Core).Where(info => info.Kind == CapabilityKind.Switch).ToArray();
            return DomainExit.Return;
        };
        SwitchResult result = core.Switch(child.Switch);

        Assert.Equal(MonitorStatus.Success, result.Status);
        Assert.Equal(MonitorStatus.Success, seen.Status);
        CapabilityInfo back = Assert.Single(switches);
        Assert.Equal(seen.ReturnCapability, back.Handle);
        Assert.Equal(((ulong)SimulatedMonitor.HostDomainId, 0UL), (back.Value1, back.Value2)); // to the host, on core 0
        Fails(MonitorError.CapabilityDoesNotExist, () => core.Switch(child.Switch));

        // The capability back in works once more, and is the host's only Switch to the child.
        Assert.Single(Capabilities(core), info => info.Kind == CapabilityKind.Switch);
        Assert.Equal(MonitorStatus.Success, core.Switch(result.SwitchBack).Status);
    }

    [Fact]
    public void M14_Compatible_a_trap_to_the_caller_resumes_it_with_status_2_and_a_switch_back_into_the_trapped_domain()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        child.Script.Body = _ => DomainExit.Trap(PageFault);

        SwitchResult result = core.Switch(child.Switch);
        Assert.Equal(MonitorStatus.SwitchInterrupted, result.Status);
        Assert.Equal(PageFault, result.TrapVector);

        // The trapped domain lost its unused return capability; the host holds the one way back in.
        int childSwitches = -1;
        child.Script.Body = context =>
        {
            childSwitches = Capabilities(context.Core).Count(info => info.Kind == CapabilityKind.Switch);
            return DomainExit.Return;
        };
        Assert.Equal(MonitorStatus.Success, core.Switch(result.SwitchBack).Status);
        Assert.Equal(1, childSwitches);
    }

    [Fact]
    public void M14_Compatible_a_sealed_domain_allowed_a_trap_handles_it_itself_and_resumes_with_status_2()
    {
        using SimulatedMonitor sealedFirst = Monitor(MonitorMode.Compatible);
        SimulatedCore host = sealedFirst.GetCore(0);
        Child child = NewChildAllowingTraps(host, 1UL << PageFault);
        host.Seal(child.Management);
        MonitorStatus[] statuses = new MonitorStatus[2];
        child.Script.Body = context =>
        {
            statuses[child.Script.Runs - 1] = context.Status;
            return context.Status == MonitorStatus.Success ? DomainExit.Trap(PageFault) : DomainExit.Return;
        };

        SwitchResult result = host.Switch(child.Switch);
        Assert.Equal(MonitorStatus.Success, result.Status); // the host never saw the trap
        Assert.Equal([MonitorStatus.Success, MonitorStatus.SwitchInterrupted], statuses);
    }

    [Fact]
    public void M14_Compatible_a_switch_on_a_core_other_than_the_capability_s_fails_InvalidCore()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core0 = monitor.GetCore(0);
        Child child = NewChild(core0, allocateContext: false);
        CapabilityHandle onCore1 = core0.AllocCoreContext(child.Management, 1);
        Fails(MonitorError.InvalidCore, () => core0.Switch(onCore1));
        Assert.Equal(MonitorStatus.Success, monitor.GetCore(1).Switch(onCore1).Status);
    }

    [Fact]
    public void M15_Compatible_an_unsealed_domain_never_handles_its_own_traps_they_go_to_the_nearest_sealed_ancestor()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child unsealed = NewChildAllowingTraps(core, 1UL << PageFault);
        unsealed.Script.Body = _ => DomainExit.Trap(PageFault);

        SwitchResult result = core.Switch(unsealed.Switch);
        Assert.Equal(MonitorStatus.SwitchInterrupted, result.Status);
        Assert.Equal(1, unsealed.Script.Runs); // not re-entered to handle it itself
    }

    [Fact]
    public void M15_Compatible_a_sealed_middle_domain_that_allows_the_trap_handles_its_child_s_trap()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child d1 = NewChildAllowingTraps(core, 1UL << PageFault);
        var d2Code = new ScriptEntry { Body = _ => DomainExit.Trap(PageFault) };
        SwitchResult? seenByD1 = null;
        d1.Script.Body = context =>
        {
            SimulatedCore domain = context.Core;
            CapabilityHandle d2 = domain.CreateDomain();
            domain.Configure(PermissionIndex.AllowedCores, d2, 1);
            domain.SetEntry(d2, d2Code);
            seenByD1 = domain.Switch(domain.AllocCoreContext(d2, 0));
            return DomainExit.Return;
        };
        core.Seal(d1.Management);

        SwitchResult result = core.Switch(d1.Switch);
        Assert.Equal(MonitorStatus.Success, result.Status);
        Assert.Equal(MonitorStatus.SwitchInterrupted, seenByD1!.Value.Status);
        Assert.Equal(PageFault, seenByD1.Value.TrapVector);
    }

    [Fact]
    public void M15_Compatible_a_trap_unwinds_past_a_sealed_domain_that_does_not_allow_it_to_the_host()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child d1 = NewChildAllowingTraps(core, 0); // sealed, handles nothing
        var d2Code = new ScriptEntry { Body = _ => DomainExit.Trap(PageFault) };
        bool d1ResumedAfterSwitch = false;
        d1.Script.Body = context =>
        {
            SimulatedCore domain = context.Core;
            CapabilityHandle d2 = domain.CreateDomain();
            domain.Configure(PermissionIndex.AllowedCores, d2, 1);
            domain.SetEntry(d2, d2Code);
            domain.Switch(domain.AllocCoreContext(d2, 0));
            d1ResumedAfterSwitch = true;
            return DomainExit.Return;
        };
        core.Seal(d1.Management);

        SwitchResult result = core.Switch(d1.Switch);
        Assert.Equal(MonitorStatus.SwitchInterrupted, result.Status);
        Assert.Equal(PageFault, result.TrapVector);
        Assert.False(d1ResumedAfterSwitch);
        Assert.Equal(SimulatedMonitor.HostDomainId, core.CurrentDomainId);
    }

    [Fact]
    public void M15_Compatible_with_no_sealed_ancestor_allowing_the_trap_it_fails_CouldNotHandleTrap()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible, hostHandlesTraps: false);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        child.Script.Body = _ => DomainExit.Trap(PageFault);
        Fails(MonitorError.CouldNotHandleTrap, () => core.Switch(child.Switch));
        Assert.Equal(SimulatedMonitor.HostDomainId, core.CurrentDomainId);
    }

    [Fact]
    public void M16_Compatible_after_sealing_with_register_reads_denied_the_manager_s_reads_fail_InsufficientPermissions()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        const ulong GuestRip = ContextField.GuestRip; // natural width
        const ulong GuestCr3 = ContextField.GuestCr3;
        Child child = NewChild(core, allocateContext: false);
        core.Configure(PermissionIndex.ManagerReadNatural, child.Management, 1UL << 11); // CR3 (11th in the natural-width list) readable, RIP not
        core.Configure(PermissionIndex.ManagerReadGeneral, child.Management, 0);
        CapabilityHandle switchCapability = core.AllocCoreContext(child.Management, 0);
        core.ConfigureCore(child.Management, 0, GuestRip, 0x1000);
        core.ConfigureCore(child.Management, 0, GuestCr3, 0x2000);
        Assert.Equal(0x1000UL, core.GetConfigCore(child.Management, 0, GuestRip)); // before sealing: everything
        Span<ulong> registers = stackalloc ulong[15];
        core.ReadAllGeneralRegisters(child.Management, 0, registers);

        Assert.Equal(switchCapability, core.Seal(child.Management));

        Fails(MonitorError.InsufficientPermissions, () => core.GetConfigCore(child.Management, 0, GuestRip));
        Fails(MonitorError.InsufficientPermissions, () => core.ReadAllGeneralRegisters(child.Management, 0, new ulong[15]));
        Fails(MonitorError.InsufficientPermissions, () => core.ConfigureCore(child.Management, 0, GuestRip, 0));
        Assert.Equal(0x2000UL, core.GetConfigCore(child.Management, 0, GuestCr3));
    }

    [Fact]
    public void M18_Compatible_revoking_a_running_sealed_child_stops_it_returns_its_memory_and_drops_switches_held_by_others()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core0 = monitor.GetCore(0);
        SimulatedCore core1 = monitor.GetCore(1);
        Child child = NewChild(core0);
        CapabilityHandle onCore1 = core0.AllocCoreContext(child.Management, 1);
        Give(core0, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x12000, extras: MemoryRights.Cleanup);
        core0.Seal(child.Management);

        using var running = new ManualResetEventSlim();
        using var revoked = new ManualResetEventSlim();
        MonitorError accessAfterRevoke = MonitorError.None;
        child.Script.Body = context =>
        {
            context.Core.Write(0x10000, "inside"u8);
            running.Set();
            Assert.True(revoked.Wait(TimeSpan.FromSeconds(30)));
            accessAfterRevoke = context.Core.TryRead(0x10000, new byte[4]);
            return DomainExit.Return;
        };

        MonitorError switchError = MonitorError.None;
        var switcher = new Thread(() => switchError = ErrorOf(() => core0.Switch(child.Switch)));
        switcher.Start();
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
        core1.Revoke(child.Management); // core 1 is idle: the host acts there while core 0 runs the child
        revoked.Set();

        Assert.True(switcher.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(MonitorError.DomainRevoked, switchError);
        Assert.Equal(MonitorError.DomainRevoked, accessAfterRevoke);
        Fails(MonitorError.CapabilityDoesNotExist, () => core1.Switch(onCore1));
        Assert.DoesNotContain(Capabilities(core0), info => info.Kind is CapabilityKind.Switch || (info.Kind == CapabilityKind.Management && info.Value1 != SimulatedMonitor.IoDomainId));
        byte[] back = new byte[6];
        core0.Read(0x10000, back);
        Assert.Equal(new byte[6], back);
        Assert.Equal(2, monitor.DomainCount); // the host and the I/O domain
        Assert.Equal(SimulatedMonitor.HostDomainId, core0.CurrentDomainId);
    }

    [Fact]
    public void M18_Compatible_revoking_an_unsealed_child_that_is_running_fails()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core0 = monitor.GetCore(0);
        Child child = NewChild(core0);
        using var running = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        child.Script.Body = _ =>
        {
            running.Set();
            Assert.True(done.Wait(TimeSpan.FromSeconds(30)));
            return DomainExit.Return;
        };

        var switcher = new Thread(() => core0.Switch(child.Switch));
        switcher.Start();
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)));
        MonitorError whileRunning = ErrorOf(() => monitor.GetCore(1).Revoke(child.Management));
        done.Set();
        Assert.True(switcher.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(MonitorError.InvalidOperation, whileRunning);
        monitor.GetCore(1).Revoke(child.Management); // once it is not running, it goes
        Assert.Equal(2, monitor.DomainCount); // the host and the I/O domain
    }

    [Fact]
    public void M15_Compatible_a_domain_that_was_sent_its_own_management_forms_a_loop_and_its_trap_still_ends_CouldNotHandleTrap()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child d1 = NewChild(core);
        var d2Code = new ScriptEntry { Body = _ => DomainExit.Trap(PageFault) };
        MonitorError seenByD1 = MonitorError.None;
        d1.Script.Body = context =>
        {
            SimulatedCore domain = context.Core;
            CapabilityHandle d2 = domain.CreateDomain();
            domain.Configure(PermissionIndex.AllowedCores, d2, 1);
            domain.SetEntry(d2, d2Code);
            CapabilityHandle enter = domain.AllocCoreContext(d2, 0);
            domain.Send(d2, d2); // d2's Management, sent to d2 through itself: d2 now manages itself
            seenByD1 = ErrorOf(() => domain.Switch(enter));
            return DomainExit.Return;
        };

        core.Switch(d1.Switch);
        Assert.Equal(MonitorError.CouldNotHandleTrap, seenByD1);
    }

    internal static Child NewChildAllowingTraps(SimulatedCore core, ulong traps)
    {
        CapabilityHandle management = core.CreateDomain();
        core.Configure(PermissionIndex.MonitorInterface, management, (ulong)MonitorInterfaceRights.All);
        core.Configure(PermissionIndex.AllowedCores, management, 0b11);
        core.Configure(PermissionIndex.AllowedTraps0, management, traps);
        var script = new ScriptEntry();
        core.SetEntry(management, script);
        return new Child(management, core.AllocCoreContext(management, core.Id), script);
    }
}
