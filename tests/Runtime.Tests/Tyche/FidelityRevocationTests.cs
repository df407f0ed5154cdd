using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Fidelity to the engine's revocation rules (F12-F14, F27): who may revoke a non-root region, what revoking a domain does
/// to the RegionRevoke capabilities it holds, revoking an already revoked slot, REVOKE_ALIASED_REGION.
/// </summary>
public sealed class FidelityRevocationTests
{
    private const ulong Start = 0x10000;
    private const ulong End = 0x12000;

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/lib.rs revoke; domain.rs revoke_capa (Capa::Region)")]
    public void F12_The_holder_of_a_derived_region_may_revoke_it_the_granter_regains_it_zeroed_and_its_RegionRevoke_dangles(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle grant = Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End, extras: MemoryRights.Cleanup);

        MonitorError afterGiveBack = MonitorError.None;
        RunAs(core, child, domain =>
        {
            domain.Write(Start, "secret"u8);
            domain.Revoke(Find(domain, CapabilityKind.Region).Handle);
            afterGiveBack = ReadError(domain, Start);
        });

        Assert.Equal(MonitorError.AccessDenied, afterGiveBack);
        byte[] back = new byte[6];
        core.Read(Start, back);
        Assert.Equal(new byte[6], back); // CLEANUP zeroed it before the host regained it
        Assert.Equal(MonitorError.None, WriteError(core, End - 16));

        // The granter's RegionRevoke now names nothing: the engine revokes it as a no-op; strict mode refuses it.
        Assert.Equal(mode == MonitorMode.Compatible ? MonitorError.None : MonitorError.CapabilityDoesNotExist, ErrorOf(() => core.Revoke(grant)));
        Assert.DoesNotContain(Capabilities(core), info => info.Kind == CapabilityKind.RegionRevoke);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/domain.rs revoke (every capability, RegionRevoke included)")]
    public void F13_Compatible_revoking_a_domain_revokes_the_subtrees_of_the_RegionRevoke_capabilities_it_holds()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child holder = NewChild(core);
        Child revoker = NewChild(core);
        CapabilityHandle revoke = Give(core, SimulatedMonitor.RootRegion, holder.Management, Start, End);
        core.Send(revoke, revoker.Management); // the revoker holds the power to take the region back from the holder

        core.Revoke(revoker.Management);

        MonitorError holderRead = MonitorError.None;
        RunAs(core, holder, domain => holderRead = ReadError(domain, Start));
        Assert.Equal(MonitorError.AccessDenied, holderRead);
        Assert.Equal(MonitorError.None, ReadError(core, Start, (int)(End - Start)));
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/domain.rs revoke_capa (leaves Capa::None), next_capa (collects it)")]
    public void F14_Revoking_a_revoked_slot_succeeds_doing_nothing_until_enumeration_collects_it_in_compatible_mode(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        SegmentResult segment = core.SegmentRegion(SimulatedMonitor.RootRegion, shared: true, Start, End, MemoryRights.Read);
        CapabilityHandle copy = core.Duplicate(segment.ToRevoke);
        core.Revoke(copy); // revokes the alias; the original RegionRevoke now dangles

        MonitorError expected = mode == MonitorMode.Compatible ? MonitorError.None : MonitorError.CapabilityDoesNotExist;
        Assert.Equal(expected, ErrorOf(() => core.Revoke(copy)));               // the slot just revoked
        Assert.Equal(expected, ErrorOf(() => core.Revoke(segment.ToRevoke)));   // the dangling one
        Assert.Equal(expected, ErrorOf(() => core.Revoke(copy)));               // and again: still nothing happens
        Assert.Equal(MonitorError.None, ReadError(core, Start));                // nothing else went
        Assert.DoesNotContain(Capabilities(core), info => info.Kind == CapabilityKind.RegionRevoke);

        // ENUMERATE collected the empty slots: now the slot is gone in both modes.
        Fails(MonitorError.CapabilityDoesNotExist, () => core.Revoke(copy));
        Fails(MonitorError.CapabilityDoesNotExist, () => core.Revoke(segment.ToRevoke));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_revoke_region (unmap, then revoke the capability given)")]
    public void F27_Compatible_REVOKE_ALIASED_REGION_revokes_the_capability_given_and_needs_a_Management_or_Channel_destination()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle revoke = Give(core, SimulatedMonitor.RootRegion, child.Management, Start, End, shared: true);

        Fails(MonitorError.WrongCapabilityType, () => core.RevokeAliasedRegion(revoke, SimulatedMonitor.RootRegion, Start, End - Start));
        core.RevokeAliasedRegion(revoke, child.Management, 0xDEAD000, 1); // the address does not select: the capability given is revoked

        MonitorError read = MonitorError.None;
        int regions = -1;
        RunAs(core, child, domain =>
        {
            read = ReadError(domain, Start);
            regions = Capabilities(domain).Count(info => info.Kind == CapabilityKind.Region);
        });
        Assert.Equal(MonitorError.AccessDenied, read);
        Assert.Equal(0, regions);
    }
}
