using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// The tests that assert zero allocations run alone, after the parallel ones. Each also collects before measuring: a
/// collection triggered by another thread retires this thread's allocation context, and the unused rest of that context
/// then shows up in <see cref="GC.GetAllocatedBytesForCurrentThread"/> as if it had been allocated.
/// </summary>
[CollectionDefinition(nameof(AllocationMeasurement), DisableParallelization = true)]
public sealed class AllocationMeasurement;

/// <summary>The paths issue 6 builds on allocate nothing per call in steady state.</summary>
[Collection(nameof(AllocationMeasurement))]
public sealed class AllocationTests
{
    private const int Iterations = 10_000;

    [Fact]
    public void Compatible_a_host_call_round_trip_with_checked_copies_allocates_nothing()
    {
        using var monitor = new SimulatedMonitor();
        var hosted = new HostedDomain(monitor);
        byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];
        byte[] scratch = new byte[64];
        for (int warm = 0; warm < 1000; warm++)
        {
            hosted.Sum(payload, 0, scratch);
        }

        SettleAllocationContext();
        long before = GC.GetAllocatedBytesForCurrentThread();
        uint total = 0;
        for (int call = 0; call < Iterations; call++)
        {
            total += hosted.Sum(payload, 0, scratch);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(36u * Iterations, total);
        Assert.Equal(0, allocated);
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
        for (int warm = 0; warm < 1000; warm++)
        {
            handle = core.Switch(handle).SwitchBack;
        }

        SettleAllocationContext();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int call = 0; call < Iterations; call++)
        {
            handle = core.Switch(handle).SwitchBack;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Iterations + 1000, touched);
        Assert.Equal(0, allocated);
    }

    private static void SettleAllocationContext()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
