using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>Simulated memory: rights enforced per access, distinct errors, views that notice revocation.</summary>
public sealed class MemoryAccessTests
{
    [Fact]
    public void Compatible_a_domain_without_a_right_gets_AccessDenied_and_nothing_is_read_or_written()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, MemoryRights.Read, shared: true);
        core.Write(0x10000, "keep"u8);

        MonitorError write = MonitorError.None, outside = MonitorError.None, straddle = MonitorError.None;
        byte[] partial = [9, 9, 9, 9, 9, 9, 9, 9];
        RunAs(core, child, domain =>
        {
            write = domain.TryWrite(0x10000, "lost"u8);
            outside = domain.TryRead(0x20000, new byte[4]);
            straddle = domain.TryRead(0x10FFC, partial);
        });

        Assert.Equal(MonitorError.AccessDenied, write);
        Assert.Equal(MonitorError.AccessDenied, outside);
        Assert.Equal(MonitorError.AccessDenied, straddle);
        Assert.Equal([9, 9, 9, 9, 9, 9, 9, 9], partial); // all or nothing
        byte[] back = new byte[4];
        core.Read(0x10000, back);
        Assert.Equal("keep"u8.ToArray(), back);
        Assert.Equal(MonitorError.AccessDenied, core.TryRead(ulong.MaxValue - 2, new byte[8])); // wrapping ranges too
    }

    [Fact]
    public void Compatible_a_view_checks_rights_once_and_goes_stale_when_the_region_is_revoked()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        CapabilityHandle shared = Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, shared: true);

        MemoryView view = default;
        MonitorError tooLong = MonitorError.None;
        RunAs(core, child, domain =>
        {
            view = domain.GetView(0x10000, 64, MemoryRights.Read | MemoryRights.Write);
            "through a view"u8.CopyTo(view.Span);
            tooLong = ErrorOf(() => domain.GetView(0x10F00, 512, MemoryRights.Read));
        });
        Assert.True(view.IsCurrent);
        byte[] back = new byte[14];
        core.Read(0x10000, back);
        Assert.Equal("through a view"u8.ToArray(), back);
        Assert.Equal(MonitorError.AccessDenied, tooLong);

        core.Revoke(shared); // the host takes the shared region back while the view is held
        Assert.False(view.IsCurrent);
        Assert.Equal(MonitorError.StaleMapping, ErrorOf(() => _ = view.Span));
    }

    [Fact]
    public void Compatible_a_revoked_domain_s_accesses_fail_DomainRevoked()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000);
        MemoryView view = default;
        RunAs(core, child, domain => view = domain.GetView(0x10000, 16, MemoryRights.Read));

        core.Revoke(child.Management);
        Assert.Equal(MonitorError.DomainRevoked, ErrorOf(() => _ = view.Span));
    }

    [Fact]
    public void Compatible_host_api_access_is_checked_like_any_domain_s()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 2 * Page);
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.HostWrite(memory, "before commit"u8); // still the host's until the commit
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);

        Assert.Equal(MonitorError.AccessDenied, ErrorOf(() => monitor.HostRead(memory, new byte[4])));
        Assert.Equal(MonitorError.AccessDenied, ErrorOf(() => monitor.HostWrite(memory + Page - 2, "xxxx"u8)));
        monitor.HostWrite(memory + Page, "shared"u8);

        monitor.Destroy(domain);
        byte[] back = new byte[13];
        monitor.HostRead(memory, back); // back to the host (no CLEANUP asked: bytes kept)
        Assert.Equal("before commit"u8.ToArray(), back);
    }
}
