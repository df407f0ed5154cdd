using System;
using System.Buffers.Binary;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// What a verifier learns from the monitor about a domain the host set up: the one core it may run on, and where its
/// regions are (measured), so a host that lays a domain out differently, or gives it more cores, is seen.
/// </summary>
public sealed class AttestedConfigurationTests
{
    [Fact]
    public void The_domain_may_run_only_on_its_core_and_the_attested_graph_says_so()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(new Keeper(), new TrustDomainHostOptions { Monitor = monitor, Core = 2 });

        AttestedDomain attested = AttestedDomain.Read(monitor, host.Domain);
        Assert.True(attested.Sealed);
        Assert.Equal(1UL << 2, attested.Permissions[(int)PermissionIndex.AllowedCores]);
        for (int core = 0; core < monitor.CoreCount; core++)
        {
            if (core != 2)
            {
                Assert.Equal(MonitorError.InvalidCore, Assert.Throws<MonitorException>(() => monitor.AllocateCoreContext(host.Domain, core)).Error);
            }
        }

        Assert.Equal(HMACSHA256.HashData(Keeper.Secret, "m"u8), Tag(host.Proxy, "m"u8));
    }

    [Fact]
    public void The_measurement_covers_the_contract_the_implementation_and_every_regions_address_and_size()
    {
        using var monitor = new SimulatedMonitor();
        using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(new Keeper(), new TrustDomainHostOptions { Monitor = monitor });
        AttestedDomain attested = AttestedDomain.Read(monitor, host.Domain);
        AttestedRegion code = Assert.Single(attested.Regions, r => (r.Rights & MemoryRights.Hash) != 0);

        // The measured bytes, as a verifier who knows the contract and the layout it expects rebuilds them.
        ulong privateSize = Pages(KeeperBoundary.Layout.ScratchSize);
        ulong sharedSize = Pages(KeeperBoundary.Layout.RegionSize);
        string text = KeeperBoundary.Contract + "\n" + typeof(Keeper).FullName
            + $"\nprivate 0x{host.Region.PrivateAddress:X} 0x{privateSize:X}\nshared 0x{host.Region.SharedAddress:X} 0x{sharedSize:X}\nout-calls 0x0 0x0";
        byte[] measured = new byte[code.End - code.Start];
        Encoding.UTF8.GetBytes(text).CopyTo(measured, 0);
        byte[] header = new byte[21];
        BinaryPrimitives.WriteUInt64LittleEndian(header, code.Start);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), code.End);
        header[16] = 1; // HASH
        header[17] = 1; // EXEC
        header[18] = 0; // WRITE
        header[19] = 1; // READ
        header[20] = 1; // unique
        byte[] expected = SHA256.HashData([.. header, .. measured]);

        Assert.Equal(expected, host.Attestation.Measurement.ToArray());

        // The private region the verifier expects is the one the domain holds: carved, exclusive, zeroed on revocation.
        AttestedRegion scratch = Assert.Single(attested.Regions, r => r.MappedAt == host.Region.PrivateAddress);
        Assert.Equal(privateSize, scratch.End - scratch.Start);
        Assert.Equal(RegionKind.Carve, scratch.Kind);
        Assert.True(scratch.Unique);
        Assert.True((scratch.Rights & MemoryRights.Cleanup) != 0);
    }

    [Fact]
    public void Attack2_a_second_core_entering_a_domain_set_up_by_hand_is_refused_while_a_call_is_in_flight()
    {
        // A host that does not restrict the cores (the monitor API allows it): the entry's own guard holds.
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

        byte[] message = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray();
        byte[] frame = SecondCoreTests.HostileSum(layout.RegionSize);
        message.CopyTo(frame, layout.FrameSize);
        byte[] hostile = SecondCoreTests.HostileSum(layout.RegionSize);
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
        Assert.Equal(message.Sum(b => b), BinaryPrimitives.ReadInt32LittleEndian(reply.AsSpan(CallFrame.HeaderSize)));
        Assert.Equal(0, keeper.Torn);
        Assert.Equal(1, keeper.Calls); // the second entry ran nothing
        Assert.Equal(1, entry.Counters.EntriesRefused);
        Assert.Equal(1, entry.Counters.Completed);
        monitor.Destroy(domain);
    }

    private static ulong Pages(int size) => ((ulong)size + SimulatedMonitor.PageSize - 1) / SimulatedMonitor.PageSize * SimulatedMonitor.PageSize;

    private static byte[] Tag(IKeeper keeper, ReadOnlySpan<byte> message)
    {
        byte[] tag = new byte[32];
        keeper.Tag(message, tag);
        return tag;
    }
}
