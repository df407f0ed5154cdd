using System;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 1: after sealing, the host takes the domain's private region back and sends in memory of its own choosing at
/// the same address, then reads the "private" working copies of the next calls (the key) and rewrites them between
/// check and use. The entry must notice, from the monitor's own account of its capabilities, that its scratch is no
/// longer a carved, exclusive, zero-on-revoke region, and stop serving for good.
/// </summary>
public sealed class PrivateMemorySwapTests
{
    public enum Swap
    {
        /// <summary>An alias of the host's own memory: the host keeps access.</summary>
        Alias,

        /// <summary>A carve of an alias: it looks carved, but the host's root still reaches it.</summary>
        CarveOfAlias,

        /// <summary>A real carve, without CLEANUP: the host takes it back during a call and reads what is left.</summary>
        CarveWithoutCleanup,

        /// <summary>A real carve of other memory with CLEANUP at the same address, taken back during a call.</summary>
        OtherMemoryRevokedDuringCall,
    }

    [Theory]
    [InlineData(Swap.Alias)]
    [InlineData(Swap.CarveOfAlias)]
    [InlineData(Swap.CarveWithoutCleanup)]
    [InlineData(Swap.OtherMemoryRevokedDuringCall)]
    public void Attack1_the_host_swaps_the_private_region_after_sealing_and_never_sees_the_key(Swap swap)
    {
        using var kit = new KeeperKit();
        byte[] message = "pay 100 to Alice"u8.ToArray();
        byte[] tag = new byte[32];
        Assert.Equal(message.Length, kit.Proxy.Tag(message, tag));
        Assert.Equal(Keeper.ExpectedTag(message), tag);

        CapabilityHandle management = kit.Monitor.GetManagement(kit.Host.Domain);
        ulong address = kit.PrivateAddress;
        ulong size = kit.PrivateSize;
        kit.Monitor.RevokeSegment(kit.Host.Domain, address);
        CapabilityHandle takeBack = CapabilityHandle.None;
        ulong readAt = address;
        switch (swap)
        {
            case Swap.Alias:
            {
                SegmentResult alias = kit.Attacker.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, address, address + size, MemoryRights.Read | MemoryRights.Write);
                kit.Attacker.SendRegion(alias.ToSend, management, address, false, size, MemoryRights.Cleanup);
                break;
            }

            case Swap.CarveOfAlias:
            {
                SegmentResult alias = kit.Attacker.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, address, address + size, MemoryRights.Read | MemoryRights.Write);
                SegmentResult carve = kit.Attacker.SegmentRegion(alias.ToSend, shared: false, address, address + size, MemoryRights.Read | MemoryRights.Write);
                kit.Attacker.SendRegion(carve.ToSend, management, address, false, size, MemoryRights.Cleanup);
                break;
            }

            case Swap.CarveWithoutCleanup:
            {
                SegmentResult carve = kit.Attacker.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, address, address + size, MemoryRights.Read | MemoryRights.Write);
                kit.Attacker.SendRegion(carve.ToSend, management, address, false, size, MemoryRights.None);
                takeBack = carve.ToRevoke;
                break;
            }

            case Swap.OtherMemoryRevokedDuringCall:
            {
                ulong other = KeeperKit.MemorySize - (4 * size);
                SegmentResult carve = kit.Attacker.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, other, other + size, MemoryRights.Read | MemoryRights.Write);
                kit.Attacker.SendRegion(carve.ToSend, management, address, false, size, MemoryRights.Cleanup);
                takeBack = carve.ToRevoke;
                readAt = other;
                break;
            }
        }

        bool seen = false;
        byte[] read = new byte[size];
        kit.Keeper.BeforeKey = () =>
        {
            if (!takeBack.IsNone)
            {
                HostThread.Run(() => kit.Attacker.Revoke(takeBack)); // taken back before the key lands
                takeBack = CapabilityHandle.None;
            }
        };
        kit.Keeper.WhileKeyed = () => HostThread.Run(() =>
        {
            try
            {
                kit.Monitor.HostRead(readAt, read);
                seen |= read.AsSpan().IndexOf(Keeper.Secret) >= 0;
            }
            catch (MonitorException exception) when (exception.Error == MonitorError.AccessDenied)
            {
                // not readable at this moment
            }

            seen |= kit.HostCanSeeSecret();
        });

        int served = 0;
        for (int call = 0; call < 3; call++)
        {
            byte[] output = new byte[32];
            try
            {
                Assert.Equal(message.Length, kit.Proxy.Tag(message, output));
                Assert.Equal(Keeper.ExpectedTag(message), output); // a call that succeeds is correct
                served++;
            }
            catch (BoundaryRevokedException)
            {
                // refused: the domain's memory changed under the call, or the domain stopped
            }
        }

        kit.Keeper.BeforeKey = null;
        kit.Keeper.WhileKeyed = null;
        Assert.False(seen, "the host read the domain's key out of its private working memory");
        Assert.False(kit.HostCanSeeSecret());

        // The domain noticed and stopped for good, saying why; no call was served after the swap.
        Assert.Equal(0, served);
        Assert.NotNull(kit.Host.StopReason);
        Assert.Contains($"0x{address:X}", kit.Host.StopReason, StringComparison.Ordinal);
        Assert.Equal(CallStatus.Stopped, kit.Host.Counters.LastStatus);
        Assert.Equal(swap == Swap.OtherMemoryRevokedDuringCall ? 2 : 1, kit.Keeper.Calls); // a real carve ran once, until taken back
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Tag(message, new byte[32]));
    }

    [Fact]
    public void The_host_cannot_swap_the_private_region_while_the_domain_is_idle_and_fool_a_later_check()
    {
        // A swap done and undone between calls: the memory the domain gets back is a fresh carve with CLEANUP at the
        // same address, so the domain may serve again, and nothing it held before is visible to the host.
        using var kit = new KeeperKit();
        byte[] message = "m"u8.ToArray();
        Assert.Equal(1, kit.Proxy.Tag(message, new byte[32]));
        CapabilityHandle management = kit.Monitor.GetManagement(kit.Host.Domain);
        kit.Monitor.RevokeSegment(kit.Host.Domain, kit.PrivateAddress);
        Assert.False(kit.HostCanSeeSecret()); // CLEANUP: nothing left in the returned memory
        SegmentResult carve = kit.Attacker.SegmentRegion(SimulatedMonitor.RootRegion, shared: false, kit.PrivateAddress, kit.PrivateAddress + kit.PrivateSize, MemoryRights.Read | MemoryRights.Write);
        kit.Attacker.SendRegion(carve.ToSend, management, kit.PrivateAddress, false, kit.PrivateSize, MemoryRights.Cleanup);

        byte[] tag = new byte[32];
        Assert.Equal(1, kit.Proxy.Tag(message, tag));
        Assert.Equal(Keeper.ExpectedTag(message), tag);
        Assert.Null(kit.Host.StopReason);
        Assert.False(kit.HostCanSeeSecret());
    }
}
