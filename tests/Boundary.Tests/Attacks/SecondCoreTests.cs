using System;
using System.Buffers.Binary;
using System.Linq;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 2: a second core enters the domain while a call is in flight on the first. Both entries would share one
/// frame copy and one scratch area: the in-flight call's validated input would change under it. Two defences: a
/// domain <see cref="TrustDomainHost{TService}"/> seals can never get a second core (its allowed cores are the one it
/// was given, and the monitor, as the engine, refuses any core context once the domain is sealed); and the entry itself
/// refuses a second entry while a call is in flight, for a domain a host set up by hand with several cores.
/// </summary>
public sealed class SecondCoreTests
{
    private static readonly byte[] Message = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray();

    [Fact]
    public void Attack2_the_host_cannot_give_a_sealed_domain_a_second_core()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        var keeper = new Keeper();
        using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(keeper, new TrustDomainHostOptions { Monitor = monitor, Core = 2 });

        for (int core = 0; core < monitor.CoreCount; core++)
        {
            MonitorError error = Assert.Throws<MonitorException>(() => monitor.AllocateCoreContext(host.Domain, core)).Error;

            // Another core is not among the domain's allowed cores (TrustDomainHost restricted them before allocating
            // its context); its own core already has its context, and a sealed domain gets no new one anyway.
            Assert.Equal(core == 2 ? MonitorError.AlreadySealed : MonitorError.InvalidCore, error);
            if (core != 2)
            {
                Assert.Equal(MonitorError.InvalidCore, Assert.Throws<MonitorException>(() => monitor.Transition(host.Domain, core, 0)).Error);
            }
        }

        Assert.Equal(Message.Sum(b => b), host.Proxy.Sum(Message));
        Assert.Equal(0, keeper.Torn);
    }

    [Fact]
    public void Attack2_a_second_core_entering_during_a_call_is_refused_and_never_changes_the_calls_validated_input()
    {
        // A host that does not restrict the cores and gives the domain two before sealing (the monitor API allows it):
        // the entry's own guard holds.
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        BoundaryLayout layout = KeeperBoundary.Layout;
        ulong privateSize = Pages(layout.ScratchSize);
        ulong sharedSize = Pages(layout.RegionSize);
        TrustDomain domain = monitor.CreateDomain();
        ulong block = monitor.MapMemory(domain, privateSize + sharedSize);
        ulong shared = block + privateSize;
        monitor.AddSegment(domain, block, privateSize, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
        monitor.AddSegment(domain, shared, sharedSize, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        var keeper = new Keeper();
        BoundaryEntry entry = KeeperBoundary.CreateEntry(keeper, new BoundaryRegion(shared, layout.RegionSize, block, layout.ScratchSize));
        monitor.SetEntry(domain, entry);
        monitor.AllocateCoreContext(domain, 0);
        monitor.AllocateCoreContext(domain, 1);
        monitor.Commit(domain);

        byte[] frame = HostileSum(layout.RegionSize);
        Message.CopyTo(frame, layout.FrameSize);
        byte[] hostile = HostileSum(layout.RegionSize);
        keeper.BetweenReads = () => HostThread.Run(() =>
        {
            monitor.HostWrite(shared, hostile);
            Assert.Equal(MonitorStatus.Success, monitor.Transition(domain, 1, 0).Status);
        });

        monitor.HostWrite(shared, frame);
        Assert.Equal(MonitorStatus.Success, monitor.Transition(domain, 0, 0).Status);

        byte[] reply = new byte[CallFrame.HeaderSize + 8];
        monitor.HostRead(shared, reply);
        Assert.Equal(CallStatus.Ok, (CallStatus)BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(CallFrame.StatusOffset)));
        Assert.Equal(Message.Sum(b => b), BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(CallFrame.HeaderSize)));
        Assert.Equal(0, keeper.Torn);
        Assert.Equal(1, keeper.Calls); // the second entry ran nothing
        Assert.Equal(1, entry.Counters.EntriesRefused); // and it did happen
        Assert.Equal(1, entry.Counters.Completed);
        monitor.Destroy(domain);
    }

    /// <summary>A Sum frame whose message is 64 bytes of 0xFF, written by the host straight into the shared region.</summary>
    internal static byte[] HostileSum(int regionSize)
    {
        var frame = new byte[regionSize];
        int dataStart = KeeperBoundary.Layout.FrameSize;
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 1); // Sum: first in ordinal order
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(KeeperBoundary.M1_message), (uint)dataStart);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(KeeperBoundary.M1_message + 4), 64);
        frame.AsSpan(dataStart, 64).Fill(0xFF);
        return frame;
    }

    private static ulong Pages(int size) => ((ulong)size + SimulatedMonitor.PageSize - 1) / SimulatedMonitor.PageSize * SimulatedMonitor.PageSize;
}
