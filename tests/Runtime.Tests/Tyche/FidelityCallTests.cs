using System.Collections.Generic;
using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// The monitor calls the simulator used not to offer and the engine's answers to GET_HPA and SERIALIZE_ATTESTATION
/// (F23-F26): RETURN_TO_MANAGER, DEBUG, SET_CPUID_ENTRY and the CPUID exit, identity GET_HPA, the attestation buffer.
/// </summary>
public sealed class FidelityCallTests
{
    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs switch_to_manager; monitor/tyche/src/x86_64/state.rs switch_domain")]
    public void F23_Compatible_RETURN_TO_MANAGER_resumes_the_manager_interrupted_with_a_Switch_back_in()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        var statuses = new List<MonitorStatus>();
        child.Script.Body = context =>
        {
            statuses.Add(context.Status);
            return statuses.Count == 1 ? DomainExit.ReturnToManager : DomainExit.Return;
        };

        SwitchResult interrupted = core.Switch(child.Switch);
        Assert.Equal((MonitorStatus.SwitchInterrupted, -1), (interrupted.Status, interrupted.TrapVector));
        Assert.Equal(SimulatedMonitor.HostDomainId, core.CurrentDomainId);
        Assert.Equal(MonitorStatus.Success, core.Switch(interrupted.SwitchBack).Status); // back in: it runs again
        Assert.Equal([MonitorStatus.Success, MonitorStatus.Success], statuses);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs switch_to_manager (InvalidCore without a Switch to the manager)")]
    public void F23_Compatible_RETURN_TO_MANAGER_without_a_Switch_to_the_manager_fails_and_the_domain_resumes_with_status_1()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        var statuses = new List<MonitorStatus>();
        child.Script.Body = context =>
        {
            statuses.Add(context.Status);
            if (statuses.Count == 1)
            {
                context.Core.Revoke(context.ReturnCapability); // no way back to the manager any more
                return DomainExit.ReturnToManager;
            }

            return DomainExit.Return;
        };

        Fails(MonitorError.InvalidSwitch, () => core.Switch(child.Switch)); // it finally returns without its return capability
        Assert.Equal([MonitorStatus.Success, MonitorStatus.Failure], statuses);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs switch_to_manager; the host API's TRANSITION")]
    public void F23_Compatible_a_hosted_domain_returning_to_its_manager_ends_the_transition_interrupted_without_a_trap()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, Page);
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        int runs = 0;
        monitor.SetEntry(domain, new ScriptEntry { Body = _ => ++runs == 1 ? DomainExit.ReturnToManager : DomainExit.Return });
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);

        Assert.Equal(new TransitionResult(MonitorStatus.SwitchInterrupted, ExitReason.Unknown, -1), monitor.Transition(domain, 0, 0));
        Assert.Equal(MonitorStatus.Success, monitor.Transition(domain, 0, 0).Status);
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_monitor_call (DEBUG logs and returns without results)")]
    public void F24_Compatible_DEBUG_reports_the_caller_the_core_and_the_value_and_changes_nothing()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(1);
        Child child = NewChild(core);
        var calls = new List<DebugCallEventArgs>();
        monitor.DebugCalled += (_, call) => calls.Add(call);

        byte[] before = monitor.CaptureState();
        core.Debug(0xABC);
        Assert.Equal(before, monitor.CaptureState());
        RunAs(core, child, domain => domain.Debug(42));

        ulong childId = Capabilities(core).Single(info => info.Handle == child.Management).Value1;
        Assert.Equal([(SimulatedMonitor.HostDomainId, 1, 0xABCUL), ((int)childId, 1, 42UL)], calls.Select(call => (call.DomainId, call.Core, call.Value)));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/platform.rs install_cpuid_entry, emulate_cpuid_cached, the CPUID exit")]
    public void F25_Compatible_SET_CPUID_ENTRY_answers_the_domain_s_CPUID_from_a_50_entry_table()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core, monitorInterface: (ulong)(MonitorInterfaceRights.All & ~MonitorInterfaceRights.Cpuid));
        var any = new CpuidResult(1, 2, 3, 4);
        var leaf = new CpuidResult(5, 6, 7, 8);
        core.SetCpuidEntry(child.Management, 0x4000_0000, 0, indexSignificant: false, any);
        core.SetCpuidEntry(child.Management, 0xD, 1, indexSignificant: true, leaf);

        (bool, CpuidResult) Ask(SimulatedCore domain, uint function, uint index) => (domain.TryCpuid(function, index, out CpuidResult result), result);
        var answers = new List<(bool, CpuidResult)>();
        RunAs(core, child, domain =>
        {
            answers.Add(Ask(domain, 0x4000_0000, 9)); // every sub-leaf
            answers.Add(Ask(domain, 0xD, 1));
            answers.Add(Ask(domain, 0xD, 2));         // not installed, no CPUID permission: exits to the manager
        });
        Assert.Equal([(true, any), (true, leaf), (false, default)], answers);

        for (uint function = 1; function <= 48; function++) // 2 + 48: the table is full
        {
            core.SetCpuidEntry(child.Management, function, 0, false, any);
        }

        Fails(MonitorError.OutOfMemory, () => core.SetCpuidEntry(child.Management, 0x9999, 0, false, any));
        Fails(MonitorError.OutOfMemory, () => core.SetCpuidEntry(child.Management, 0xD, 1, true, any)); // the engine checks room before it looks for the entry
        Fails(MonitorError.InvalidCore, () => monitor.GetCore(1).SetCpuidEntry(child.Management, 1, 0, false, any)); // no context on core 1
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/platform.rs find_hpa, find_buff; monitor.rs do_serialize_attestation")]
    public void F26_Compatible_GET_HPA_is_identity_outside_the_remapped_ranges_and_the_attestation_buffer_must_be_writable_memory()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        const ulong Shared = 0x20000, ReadOnly = 0x30000, Alias = 0x90000;
        Give(core, SimulatedMonitor.RootRegion, child.Management, Shared, Shared + (2 * Page), shared: true);
        Give(core, SimulatedMonitor.RootRegion, child.Management, ReadOnly, ReadOnly + Page, MemoryRights.Read, shared: true);
        SegmentResult remapped = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, 0x50000, 0x51000, MemoryRights.Read);
        core.SendRegion(remapped.ToSend, child.Management, Alias, false, Page, MemoryRights.None);

        ulong hpa = 0, unmapped = 0, unmappedSize = 0;
        int written = 0;
        MonitorError readOnly = MonitorError.None, outside = MonitorError.None;
        RunAs(core, child, domain =>
        {
            hpa = domain.GetHpa(Alias + 0x10, 8, out _);
            unmapped = domain.GetHpa(0xDEAD000, 64, out unmappedSize);
            written = domain.SerializeAttestation(Shared, (int)(2 * Page));
            readOnly = ErrorOf(() => domain.SerializeAttestation(ReadOnly, (int)Page));
            outside = ErrorOf(() => domain.SerializeAttestation(0xDEAD000, 64));
        });

        Assert.Equal(0x50010UL, hpa);
        Assert.Equal((0xDEAD000UL, 64UL), (unmapped, unmappedSize));
        Assert.Equal(MonitorError.InsufficientPermissions, readOnly);
        Assert.Equal(MonitorError.InsufficientPermissions, outside);
        byte[] graph = new byte[written];
        core.Read(Shared, graph);
        Assert.True(CapabilityGraph.TryParse(graph, out CapabilityGraph? parsed, out string? error), error);
        Assert.Equal(3, parsed!.Domains.Count);
    }
}
