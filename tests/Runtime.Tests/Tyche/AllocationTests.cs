using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>The paths issue 6 builds on allocate nothing per call in steady state.</summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class AllocationTests
{
    [Fact]
    public void Compatible_a_host_call_round_trip_with_checked_copies_allocates_nothing()
    {
        using var monitor = new SimulatedMonitor();
        var hosted = new HostedDomain(monitor);
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] scratch = new byte[64];
        long calls = 0;
        uint total = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            total += hosted.Sum(payload, 0, scratch);
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal((uint)(36 * calls), total);
    }

    [Fact]
    public void Compatible_a_raw_switch_round_trip_and_views_allocate_nothing()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, shared: true);
        int touched = 0;
        child.Script.Body = context =>
        {
            MemoryView view = context.Core.GetView(0x10000, 16, MemoryRights.Read | MemoryRights.Write);
            view.Span[0]++;
            touched++;
            return DomainExit.Return;
        };
        CapabilityHandle handle = child.Switch;
        int calls = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            handle = core.Switch(handle).SwitchBack;
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(calls, touched);
    }
}
