using System;
using System.Linq;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Driver;

namespace TailGuard.Tests.Tyche.Driver;

/// <summary>
/// The driver backend against a fake <c>/dev/tyche</c> that enforces the driver's rules (linux-kvm-tyche drivers/tyche
/// src/ioctl.c and src/domains.c; tyche-devel C/libraries/sdktyche/loader/backends/back_tyche.c for the call order):
/// the ioctl sequence, the argument layouts decoded from raw bytes, the MPROTECT flag layout, and the error paths.
/// </summary>
public sealed class DriverBackendTests : IDisposable
{
    // tyche_capabilities_types.h, memory_access_right_t: the driver's own bit order.
    private const ulong MemConfidential = 1 << 1, MemRead = 1 << 2, MemWrite = 1 << 3, MemExec = 1 << 4, MemHash = 1 << 6, MemCleanup = 1 << 7;
    private const int Page = 4096;

    private readonly FakeTycheDevice _device = new();

    public void Dispose() => _device.Dispose();

    private DriverMonitor Backend() => new(DriverAbi.DevicePath, _device);

    /// <summary>The calls after the first <paramref name="from"/>.</summary>
    private DeviceCall[] CallsSince(int from) => _device.Calls.Skip(from).ToArray();

    [Fact]
    public void Without_the_device_the_backend_fails_at_once_naming_dev_tyche_and_the_missing_driver_and_opens_nothing()
    {
        _device.AccessError = FakeTycheDevice.ENOENT;
        var missing = Assert.Throws<MonitorException>(Backend);
        Assert.Equal(MonitorError.DeviceError, missing.Error);
        Assert.Contains("/dev/tyche does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("driver", missing.Message, StringComparison.Ordinal);
        Assert.Contains("ENOENT", missing.Message, StringComparison.Ordinal);

        _device.AccessError = 0;
        var wrongPath = Assert.Throws<MonitorException>(() => new DriverMonitor("/dev/tyche0", _device));
        Assert.Contains("/dev/tyche0 does not exist", wrongPath.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_device.Calls, call => call.Name == "open"); // probing would create (and revoke) a domain
    }

    [Fact]
    public void A_device_the_process_may_not_open_fails_naming_the_permissions()
    {
        _device.AccessError = FakeTycheDevice.EACCES;
        var denied = Assert.Throws<MonitorException>(Backend);
        Assert.Equal(MonitorError.DeviceError, denied.Error);
        Assert.Contains("EACCES", denied.Message, StringComparison.Ordinal);
        Assert.Contains("permissions", denied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_s_life_is_open_configure_mmap_MPROTECT_in_order_ALLOC_CONTEXT_core_config_COMMIT_TRANSITION_GET_ATTESTATION_munmap_close()
    {
        using DriverMonitor monitor = Backend();
        int mark = _device.Calls.Count;
        TrustDomain domain = monitor.CreateDomain();
        int fd = domain.Generation;

        // open, then the interface's defaults: every monitor call, every core, all manager register access.
        ulong cores = monitor.CoreCount == 64 ? ulong.MaxValue : (1UL << monitor.CoreCount) - 1;
        DeviceCall[] created = CallsSince(mark);
        Assert.Equal(new DeviceCall("open", fd).ToString(), created[0].ToString());
        Assert.Equal(
            [$"0:0x{(ulong)MonitorInterfaceRights.All:X}", $"5:0x{cores:X}", .. Enumerable.Range(6, 10).Select(index => $"{index}:0x{ulong.MaxValue:X}")],
            created.Skip(1).Select(call => $"{call.Arguments[1]}:0x{call.Arguments[2]:X}"));
        Assert.All(created.Skip(1), call => Assert.Equal(("SET_DOMAIN_CONFIGURATION", fd, 0UL), (call.Name, call.Fd, call.Arguments[0])));

        mark = _device.Calls.Count;
        ulong memory = monitor.MapMemory(domain, (3 * Page) - 100); // rounded up to pages
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + (2 * Page), Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.AllocateCoreContext(domain, 0);
        monitor.SetCoreField(domain, 0, ContextField.GuestRip, 0x401000);
        monitor.Commit(domain);
        TransitionResult result = monitor.Transition(domain, 0, 7);
        _device.Attestation = new EngineGraph().Root(0x0F, 0, 1 << 30).Domain(0, 0x3F, (true, 0)).Build();
        byte[] attestation = new byte[8192];
        int written = monitor.SerializeAttestation(domain, attestation);
        monitor.Destroy(domain);

        Assert.Equal(
            [
                new DeviceCall("mmap", fd, 3 * Page).ToString(),
                new DeviceCall("MPROTECT", fd, memory, Page, MemRead | MemExec | MemHash | MemConfidential, 1).ToString(),
                new DeviceCall("MPROTECT", fd, memory + Page, Page, MemRead | MemWrite | MemCleanup | MemConfidential, 1).ToString(),
                new DeviceCall("MPROTECT", fd, memory + (2 * Page), Page, MemRead | MemWrite, 0).ToString(),
                new DeviceCall("ALLOC_CONTEXT", fd, 0).ToString(),
                new DeviceCall("SET_DOMAIN_CORE_CONFIG", fd, 0, ContextField.GuestRip, 0x401000).ToString(),
                new DeviceCall("COMMIT", fd, 0).ToString(),
                new DeviceCall("pin", -1, 0).ToString(),
                new DeviceCall("TRANSITION", fd, 0, 7, 0).ToString(), // core 0, delta 7, called from CPU 0
                new DeviceCall("unpin", -1, ulong.MaxValue).ToString(),
                new DeviceCall("GET_ATTESTATION", fd, DriverAbi.MaxAttestationLength).ToString(),
                new DeviceCall("munmap", -1, memory, 3 * Page).ToString(),
                new DeviceCall("close", fd).ToString(),
            ],
            CallsSince(mark).Select(call => call.ToString()));
        Assert.Equal(new TransitionResult(MonitorStatus.Success, ExitReason.Unknown, -1), result);
        Assert.Equal(_device.Attestation.Length + 1, written); // the engine counts one byte more than it wrote; the parser ignores it
        Assert.Single(CapabilityGraph.Parse(attestation.AsSpan(0, written)).Regions);
        Assert.Empty(_device.OpenDescriptors);
    }

    [Fact]
    public void MPROTECT_flags_are_the_monitor_s_rights_shifted_to_the_driver_s_bit_order_with_MEM_CONFIDENTIAL_for_confidential_segments()
    {
        Assert.Equal((uint)(MemRead | MemWrite | (1 << 5) | (1 << 8)), DriverAbi.MprotectFlags(MemoryRights.Read | MemoryRights.Write | MemoryRights.Super | MemoryRights.Vital, SegmentType.Shared));
        Assert.Equal((uint)(MemRead | MemConfidential), DriverAbi.MprotectFlags(MemoryRights.Read, SegmentType.Confidential));
        Assert.Equal(1u, DriverAbi.MemActive);
    }

    [Fact]
    public void Segments_out_of_mapping_order_overlapping_or_past_a_block_are_refused_before_any_ioctl_and_COMMIT_needs_all_memory_covered()
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = monitor.CreateDomain();
        ulong first = monitor.MapMemory(domain, 2 * Page);
        ulong second = monitor.MapMemory(domain, Page);
        int mark = _device.Calls.Count;

        var outOfOrder = Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, first + Page, Page, MemoryRights.Read, SegmentType.Shared));
        Assert.Contains($"0x{first:X}", outOfOrder.Message, StringComparison.Ordinal);
        Assert.Equal(MonitorError.InvalidOperation, Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, second, Page, MemoryRights.Read, SegmentType.Shared)).Error);
        Assert.Equal(MonitorError.InvalidOperation, Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, first, 3 * Page, MemoryRights.Read, SegmentType.Shared)).Error);
        Assert.Empty(CallsSince(mark));

        monitor.AddSegment(domain, first, 2 * Page, MemoryRights.Read, SegmentType.Shared);
        Assert.Equal(MonitorError.InvalidOperation, Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, first, Page, MemoryRights.Read, SegmentType.Shared)).Error);
        monitor.AllocateCoreContext(domain, 0);
        var uncovered = Assert.Throws<MonitorException>(() => monitor.Commit(domain));
        Assert.Contains($"0x{second:X}", uncovered.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_device.Calls, call => call.Name == "COMMIT");

        monitor.AddSegment(domain, second, Page, MemoryRights.Read, SegmentType.Confidential);
        monitor.Commit(domain);
        Assert.Contains(_device.Calls, call => call.Name == "COMMIT");
    }

    [Theory]
    [InlineData(SegmentType.SharedRepeat)]
    [InlineData(SegmentType.ConfidentialRepeat)]
    [InlineData(SegmentType.Pipe)]
    [InlineData(SegmentType.Confidentializable)]
    public void Segment_types_the_driver_s_COMMIT_rejects_are_refused_when_added(SegmentType type)
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, Page);
        var refused = Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, memory, Page, MemoryRights.Read, type));
        Assert.Equal(MonitorError.NotSupported, refused.Error);
        Assert.Contains(type.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.Equal(MonitorError.InvalidMemOps, Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Uncacheable, SegmentType.Shared)).Error);
        Assert.Equal(MonitorError.InvalidMemOps, Assert.Throws<MonitorException>(() => monitor.AddSegment(domain, memory, Page, MemoryRights.Write, SegmentType.Shared)).Error);
        Assert.DoesNotContain(_device.Calls, call => call.Name == "MPROTECT");
    }

    [Theory]
    [InlineData(0u, MonitorStatus.Success, ExitReason.Unknown)]
    [InlineData(1u, MonitorStatus.SwitchInterrupted, ExitReason.MemoryFault)]
    [InlineData(2u, MonitorStatus.SwitchInterrupted, ExitReason.Exception)]
    [InlineData(3u, MonitorStatus.SwitchInterrupted, ExitReason.Interrupt)]
    [InlineData(4u, MonitorStatus.SwitchInterrupted, ExitReason.Timer)]
    public void A_successful_TRANSITION_reports_the_exit_reason_the_driver_wrote_back(uint error, MonitorStatus status, ExitReason reason)
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = Committed(monitor);
        _device.Transitions.Enqueue((0, 0, error));
        Assert.Equal(new TransitionResult(status, reason, -1), monitor.Transition(domain, 0, 0));
    }

    [Theory]
    [InlineData(0, 5u)]
    [InlineData(0, 66u)]
    public void A_revoked_domain_s_TRANSITION_throws_DomainRevoked(int result, uint error)
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = Committed(monitor);
        _device.Transitions.Enqueue((result, 0, error));
        Assert.Equal(MonitorError.DomainRevoked, Assert.Throws<MonitorException>(() => monitor.Transition(domain, 0, 0)).Error);
        Assert.Equal(["pin", "TRANSITION", "unpin"], _device.Calls.TakeLast(3).Select(call => call.Name)); // the CPU mask is restored whatever happened
    }

    [Fact]
    public void A_failed_ioctl_names_the_operation_the_device_and_the_errno_and_a_core_without_context_is_refused_before_the_driver()
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = Committed(monitor);
        _device.Transitions.Enqueue((-1, FakeTycheDevice.EINVAL, 0));
        var failed = Assert.Throws<MonitorException>(() => monitor.Transition(domain, 0, 0));
        Assert.Equal(MonitorError.DeviceError, failed.Error);
        Assert.Contains("TRANSITION on /dev/tyche failed (EINVAL (22))", failed.Message, StringComparison.Ordinal);

        int transitions = _device.Calls.Count(call => call.Name == "TRANSITION");
        Assert.Equal(MonitorError.InvalidCore, Assert.Throws<MonitorException>(() => monitor.Transition(domain, 1, 0)).Error);
        Assert.Equal(MonitorError.InvalidCore, Assert.Throws<MonitorException>(() => monitor.SetCoreField(domain, 1, ContextField.GuestRip, 0)).Error);
        Assert.Equal(transitions, _device.Calls.Count(call => call.Name == "TRANSITION"));

        TrustDomain other = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(other, Page);
        _device.FailNext = DriverAbi.Mprotect;
        var refused = Assert.Throws<MonitorException>(() => monitor.AddSegment(other, memory, Page, MemoryRights.Read, SegmentType.Shared));
        Assert.Contains("MPROTECT on /dev/tyche failed", refused.Message, StringComparison.Ordinal);
        monitor.AddSegment(other, memory, Page, MemoryRights.Read, SegmentType.Shared); // nothing was recorded: the same segment goes next
        Assert.Equal(MonitorError.InvalidOperation, Assert.Throws<MonitorException>(() => monitor.Configure(other, (PermissionIndex)16, 0)).Error);
    }

    [Fact]
    public void GET_ATTESTATION_asks_at_most_4096_bytes_and_an_attestation_that_fills_the_buffer_is_clamped_to_it()
    {
        using DriverMonitor monitor = Backend();
        TrustDomain domain = Committed(monitor);
        _device.Attestation = new EngineGraph().Root(0x0F, 0, 1 << 20).Domain(0, 0x3F, (true, 0)).Build();

        byte[] exact = new byte[_device.Attestation.Length];
        Assert.Equal(exact.Length, monitor.SerializeAttestation(domain, exact)); // the driver says length + 1
        Assert.Equal(_device.Attestation, exact);
        Assert.Equal(MonitorError.DeviceError, Assert.Throws<MonitorException>(() => monitor.SerializeAttestation(domain, new byte[10])).Error);
        Assert.Equal([(ulong)exact.Length, 10UL], _device.Calls.Where(call => call.Name == "GET_ATTESTATION").Select(call => call.Arguments[0]));
    }

    [Fact]
    public void Closing_revokes_every_domain_and_the_host_keeps_its_hands_off_committed_confidential_memory()
    {
        DriverMonitor monitor = Backend();
        TrustDomain domain = Committed(monitor);
        TrustDomain unused = monitor.CreateDomain();
        ulong shared = MemoryOf(domain) + Page;

        monitor.HostWrite(shared, "hello"u8);
        Assert.Equal(MonitorError.AccessDenied, Assert.Throws<MonitorException>(() => monitor.HostRead(MemoryOf(domain), new byte[4])).Error);
        Assert.Equal(MonitorError.AccessDenied, Assert.Throws<MonitorException>(() => monitor.HostRead(0x1000, new byte[4])).Error);

        monitor.Dispose();
        Assert.Empty(_device.OpenDescriptors);
        Assert.Equal(2, _device.Calls.Count(call => call.Name == "close"));
        Assert.Equal(MonitorError.DomainRevoked, Assert.Throws<MonitorException>(() => monitor.Transition(domain, 0, 0)).Error);
        Assert.Equal(MonitorError.DomainRevoked, Assert.Throws<MonitorException>(() => monitor.MapMemory(unused, Page)).Error);
    }

    private ulong MemoryOf(TrustDomain domain) =>
        _device.Calls.First(call => call.Name == "MPROTECT" && call.Fd == domain.Generation).Arguments[0];

    /// <summary>A committed domain: a confidential page then a shared page, a context on core 0.</summary>
    private static TrustDomain Committed(DriverMonitor monitor)
    {
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 2 * Page);
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);
        return domain;
    }
}
