using System;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Tests.Tyche;

/// <summary>The host API end to end on the simulator: create, grant, share, seal, attest, switch; revocation mid-call.</summary>
public sealed class HostApiTests
{
    [Fact]
    public void Compatible_a_committed_domain_answers_calls_through_shared_memory_and_attests()
    {
        using var monitor = new SimulatedMonitor();
        var hosted = new HostedDomain(monitor);

        using var verifier = new AttestationVerifier(monitor.ExportPublicKey());
        byte[] nonce = [1, 2, 3, 4];
        Assert.True(verifier.Verify(monitor.CreateAttestationReport(hosted.Domain, nonce), monitor.GetMeasurement(hosted.Domain), nonce));

        byte[] scratch = new byte[512];
        Assert.Equal(6u, hosted.Sum([1, 2, 3], 0, scratch));
        byte[] bytes = new byte[200];
        Array.Fill(bytes, (byte)255);
        Assert.Equal(255u * 200, hosted.Sum(bytes, 0, scratch));
        Assert.Equal(MonitorError.AccessDenied, TycheKit.ErrorOf(() => monitor.HostRead(hosted.Private, new byte[8])));
        Assert.Equal(MonitorError.AccessDenied, TycheKit.ErrorOf(() => monitor.HostWrite(hosted.Code, new byte[8])));
    }

    [Fact]
    public void Compatible_the_domain_rejects_a_frame_whose_length_exceeds_its_bound_before_using_it()
    {
        using var monitor = new SimulatedMonitor();
        var hosted = new HostedDomain(monitor);
        byte[] frame = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(frame, 1_000_000);
        monitor.HostWrite(hosted.Shared, frame);
        Assert.Equal(MonitorStatus.Success, monitor.Transition(hosted.Domain, 0, 0).Status);
        Assert.Equal(MonitorError.InvalidOperation, hosted.Entry.LastError);
    }

    [Fact]
    public void Compatible_destroying_a_domain_mid_call_fails_the_call_with_DomainRevoked_and_zeroes_its_CLEANUP_memory()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, TycheKit.Page);
        monitor.AddSegment(domain, memory, TycheKit.Page, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
        using var inside = new ManualResetEventSlim();
        using var destroyed = new ManualResetEventSlim();
        MonitorError writeAfter = MonitorError.None;
        monitor.SetEntry(domain, new ScriptEntry
        {
            Body = context =>
            {
                context.Core.Write(memory, "private"u8);
                inside.Set();
                destroyed.Wait(TimeSpan.FromSeconds(30));
                writeAfter = context.Core.TryWrite(memory, "partial"u8);
                return DomainExit.Return;
            },
        });
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);

        MonitorError transition = MonitorError.None;
        var caller = new Thread(() => transition = TycheKit.ErrorOf(() => monitor.Transition(domain, 0, 0)));
        caller.Start();
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));
        monitor.Destroy(domain);
        destroyed.Set();
        Assert.True(caller.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(MonitorError.DomainRevoked, transition);
        Assert.Equal(MonitorError.DomainRevoked, writeAfter);
        byte[] back = new byte[7];
        monitor.HostRead(memory, back);
        Assert.Equal(new byte[7], back);
        Assert.Equal(MonitorError.DomainRevoked, TycheKit.ErrorOf(() => monitor.Transition(domain, 0, 0)));
    }

    [Fact]
    public void Compatible_segments_outside_mapped_memory_or_unaligned_are_refused()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, TycheKit.Page);
        Assert.Equal(MonitorError.InvalidOperation, TycheKit.ErrorOf(() => monitor.AddSegment(domain, memory + TycheKit.Page, TycheKit.Page, MemoryRights.Read, SegmentType.Shared)));
        Assert.Equal(MonitorError.InvalidOperation, TycheKit.ErrorOf(() => monitor.AddSegment(domain, memory + 1, TycheKit.Page - 1, MemoryRights.Read, SegmentType.Shared)));
        Assert.Equal(MonitorError.InvalidOperation, TycheKit.ErrorOf(() => monitor.AddSegment(domain, memory, ulong.MaxValue - 4095, MemoryRights.Read, SegmentType.Shared)));
    }

    [Fact]
    public void Compatible_domain_code_cannot_use_the_host_api_to_act_as_the_host()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, TycheKit.Page);
        MonitorError read = MonitorError.None, destroy = MonitorError.None;
        monitor.SetEntry(domain, new ScriptEntry
        {
            Body = _ =>
            {
                read = TycheKit.ErrorOf(() => monitor.HostRead(memory, new byte[4]));
                destroy = TycheKit.ErrorOf(() => monitor.Destroy(domain));
                return DomainExit.Return;
            },
        });
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);
        monitor.Transition(domain, 0, 0);

        Assert.Equal(MonitorError.CoreBusy, read);
        Assert.Equal(MonitorError.CoreBusy, destroy);
        monitor.HostRead(memory, new byte[4]); // the host itself still can
    }

    [Fact]
    public void Compatible_revoking_the_shared_segment_mid_call_makes_the_domain_s_next_access_fail_AccessDenied()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 2 * TycheKit.Page);
        ulong shared = memory + TycheKit.Page;
        monitor.AddSegment(domain, memory, TycheKit.Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        monitor.AddSegment(domain, shared, TycheKit.Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        using var copied = new ManualResetEventSlim();
        using var revoked = new ManualResetEventSlim();
        MonitorError before = MonitorError.None, after = MonitorError.None, privateAfter = MonitorError.None;
        bool viewCurrent = true;
        monitor.SetEntry(domain, new ScriptEntry
        {
            Body = context =>
            {
                MemoryView view = context.Core.GetView(shared, 16, MemoryRights.Read);
                before = context.Core.TryRead(shared, new byte[16]);
                copied.Set();
                revoked.Wait(TimeSpan.FromSeconds(30));
                after = context.Core.TryWrite(shared, "result"u8);
                privateAfter = context.Core.TryWrite(memory, "private"u8);
                viewCurrent = view.IsCurrent;
                return DomainExit.Return;
            },
        });
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);

        var caller = new Thread(() => monitor.Transition(domain, 0, 0));
        caller.Start();
        Assert.True(copied.Wait(TimeSpan.FromSeconds(30)));
        monitor.RevokeSegment(domain, shared);
        revoked.Set();
        Assert.True(caller.Join(TimeSpan.FromSeconds(30)));

        Assert.Equal(MonitorError.None, before);
        Assert.Equal(MonitorError.AccessDenied, after);
        Assert.Equal(MonitorError.None, privateAfter);
        Assert.False(viewCurrent);
        Assert.Equal(MonitorError.InvalidRegion, TycheKit.ErrorOf(() => monitor.RevokeSegment(domain, shared)));
    }
}
