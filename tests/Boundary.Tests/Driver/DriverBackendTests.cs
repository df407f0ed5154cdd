using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tests.Tyche.Driver;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Driver;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests.Driver;

/// <summary>
/// The driver backend behind the seam, against the fake <c>/dev/tyche</c>: the ioctl sequence of a domain's life, the
/// layouts and flags the driver reads, the entry loop's registers and page tables as the domain's CPU sees them, the
/// monitor's attestation, exits, refusals and revocation. The B suites that run on every backend run on it through
/// <see cref="ProbeKit"/> (<see cref="Backends.Driver"/>).
/// </summary>
public sealed class DriverBackendTests(ITestOutputHelper output)
{
    private static readonly byte[] Data = [1, 2, 3];

    [Fact]
    public void A_domain_s_life_through_the_seam_is_the_driver_s_ioctl_sequence_in_order()
    {
        using var kit = new DriverKit();
        int fd;
        using (TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe()))
        {
            Assert.Equal(40 + 2 + 6, host.Proxy.Add(40, 2, Data));
            fd = kit.Device.OpenDescriptors.Single();
        }

        string[] names = kit.Device.Calls.Select(call => call.Name).ToArray();
        output.WriteLine(string.Join(' ', names));
        string[] expected =
        [
            "access", "access", "open",
            .. Enumerable.Repeat("SET_DOMAIN_CONFIGURATION", 12), // DriverMonitor's defaults
            "mmap", "GET_PHYSOFFSET",
            "MPROTECT", "MPROTECT", "MPROTECT", "MPROTECT", // code, page tables, private memory, call region
            .. Enumerable.Repeat("SET_DOMAIN_CONFIGURATION", 12), // interface none, register access none, the domain's cores
            "ALLOC_CONTEXT", .. Enumerable.Repeat("SET_DOMAIN_CORE_CONFIG", 8),
            "COMMIT", "GET_ATTESTATION",
            "pin", "TRANSITION", "unpin",
            "munmap", "close",
        ];
        Assert.Equal(expected, names);
        Assert.Empty(kit.Device.OpenDescriptors);
        Assert.All(kit.Device.Calls.Where(call => call.Name != "access" && call.Name != "munmap" && call.Name != "pin" && call.Name != "unpin"), call => Assert.Equal(fd, call.Fd));
    }

    [Fact]
    public void MPROTECT_segments_are_code_tables_private_then_shared_contiguous_in_the_driver_s_flag_order()
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        DeviceCall[] segments = kit.Device.Calls.Where(call => call.Name == "MPROTECT").ToArray();
        ulong mapped = kit.Device.Calls.Single(call => call.Name == "mmap").Arguments[0];

        // Flags: the monitor's rights shifted left by 2 (READ bit 2, WRITE 3, EXEC 4, HASH 6, CLEANUP 7), MEM_CONFIDENTIAL bit 1.
        Assert.Equal((1u << 2) | (1u << 4) | (1u << 6) | 2, (uint)segments[0].Arguments[2]);
        Assert.Equal((1u << 2) | (1u << 3) | 2, (uint)segments[1].Arguments[2]);
        Assert.Equal((1u << 2) | (1u << 3) | (1u << 7) | 2, (uint)segments[2].Arguments[2]);
        Assert.Equal((1u << 2) | (1u << 3), (uint)segments[3].Arguments[2]);
        Assert.Equal([1ul, 1, 1, 0], segments.Select(call => call.Arguments[3])); // CONFIDENTIAL x3, SHARED
        Assert.Equal(8192ul, segments[0].Arguments[1]); // 5 000 bytes of code, padded to pages
        for (int index = 1; index < segments.Length; index++)
        {
            Assert.Equal(segments[index - 1].Arguments[0] + segments[index - 1].Arguments[1], segments[index].Arguments[0]);
        }

        Assert.Equal(mapped, segments.Aggregate(0ul, (sum, call) => sum + call.Arguments[1])); // every mapped byte, once
    }

    [Fact]
    public void The_entry_loop_s_registers_point_at_physical_addresses_and_the_page_tables_map_only_what_it_needs()
    {
        using var kit = new DriverKit();
        var seen = new List<string>();
        kit.OnEntry = cpu =>
        {
            ulong rip = cpu.Register(ContextField.GuestRip);
            ulong cr3 = cpu.Register(ContextField.GuestCr3);
            seen.Add("entered");

            // The code is executable and readable, never writable; the page tables are not mapped at all.
            Assert.Throws<FakeCpu.Fault>(() => cpu.Memory(rip, 1, FakeCpu.Access.Write));
            Assert.Throws<FakeCpu.Fault>(() => cpu.Memory(cr3, 8, FakeCpu.Access.Read));
            Assert.Equal(cpu.Translate(rip, FakeCpu.Access.Read), rip); // identity-mapped
            Assert.Equal(0, (int)cpu.Register(ContextField.GuestR8)); // the core's lane

            // The first byte of the stack's page below RSP... and nothing below the stack (the code's last page is read-only).
            Assert.True(cpu.Register(ContextField.GuestRsp) % 16 == 0);
        };
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        Assert.Equal(3, host.Proxy.Add(1, 2, []));
        Assert.Equal(["entered"], seen);

        int fd = kit.Device.OpenDescriptors.Single();
        SortedDictionary<ulong, ulong> fields = kit.Device.CoreFields(fd, 0);
        DeviceCall[] segments = kit.Device.Calls.Where(call => call.Name == "MPROTECT").ToArray();
        ulong code = segments[0].Arguments[0];
        Assert.Equal(FakeTycheDevice.ToPhysical(code) + 100, fields[ContextField.GuestRip]); // the entry offset, in the domain's (physical) terms
        Assert.Equal(FakeTycheDevice.ToPhysical(segments[1].Arguments[0]), fields[ContextField.GuestCr3]);
        Assert.Equal(FakeTycheDevice.ToPhysical(segments[3].Arguments[0]), fields[ContextField.GuestRdi]);
        Assert.Equal((ulong)ProbeBoundary.Layout.RegionSize, fields[ContextField.GuestRsi]);
        Assert.Equal((ulong)ProbeBoundary.Layout.ScratchSize, fields[ContextField.GuestRcx]);
        Assert.Equal(host.Region.PrivateAddress, fields[ContextField.GuestRdx]);
        Assert.Equal(fields[ContextField.GuestRdx], fields[ContextField.GuestRsp]); // the stack grows down from the scratch
        Assert.Equal(FakeTycheDevice.ToPhysical(segments[2].Arguments[0]) + (ulong)DriverKit.Binary.StackSize, fields[ContextField.GuestRsp]);
    }

    [Fact]
    public void The_domain_is_confined_and_sealed_before_the_host_enters_it()
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        int fd = kit.Device.OpenDescriptors.Single();
        Assert.Equal(0ul, kit.Device.Configuration(fd, (int)PermissionIndex.MonitorInterface)); // only SWITCH, which is not gated
        for (PermissionIndex index = PermissionIndex.ManagerRead16; index <= PermissionIndex.ManagerWriteGeneral; index++)
        {
            Assert.Equal(0ul, kit.Device.Configuration(fd, (int)index)); // the host cannot read or write its registers
        }

        Assert.Equal(1ul, kit.Device.Configuration(fd, (int)PermissionIndex.AllowedCores));

        // Committed confidential memory is out of the host's reach through the monitor.
        ulong code = kit.Device.Calls.First(call => call.Name == "MPROTECT").Arguments[0];
        Assert.Equal(MonitorError.AccessDenied, Assert.Throws<MonitorException>(() => kit.Monitor.HostRead(code, new byte[8])).Error);
    }

    [Fact]
    public void The_attestation_is_the_monitor_s_graph_whose_domain_holds_the_hashed_code_and_it_verifies_with_the_backend_s_key()
    {
        using var kit = new DriverKit();
        byte[] nonce = [7, 7, 7];
        using TrustDomainHost<IProbe> host = TrustDomainHost.Create<IProbe, ProbeBoundary>(new Probe(), new TrustDomainHostOptions { Backend = kit.Backend, Nonce = nonce });
        Assert.Equal(DriverKit.Binary.Measurement.ToArray(), host.Attestation.Measurement.ToArray());
        Assert.True(new AttestationVerifier(kit.Backend.ExportPublicKey()).Verify(host.EncodedAttestation, DriverKit.Binary.Measurement.Span, nonce));
        AttestedDomain attested = host.Attestation.Graph.Domains[host.Attestation.GraphDomainIndex];
        Assert.Contains(attested.Regions, region => host.Attestation.Graph.Regions[region].Hash.Span.SequenceEqual(DriverKit.Binary.Measurement.Span));

        // Another binary's measurement does not verify.
        var other = new DriverDomainBinary(new byte[] { 0xC3 }, 0);
        Assert.False(new AttestationVerifier(kit.Backend.ExportPublicKey()).Verify(host.EncodedAttestation, other.Measurement.Span, nonce));
    }

    [Fact]
    public void A_monitor_graph_that_does_not_show_the_loaded_code_fails_the_domain_and_leaves_nothing_open()
    {
        using var kit = new DriverKit();
        kit.Device.AttestCommitted = false;
        kit.Device.Attestation = "capa"u8.ToArray().Concat(new byte[] { 0x01, 0xFF, 0x02, 0xFF, 0xFF }).ToArray(); // a well-formed, empty graph
        var error = Assert.Throws<MonitorException>(() => kit.Create<IProbe, ProbeBoundary>(new Probe()));
        Assert.Contains("does not vouch for the code", error.Message, StringComparison.Ordinal);
        Assert.Empty(kit.Device.OpenDescriptors);
    }

    public static TheoryData<string> Refusals => ["GET_PHYSOFFSET", "MPROTECT", "SET_DOMAIN_CONFIGURATION", "ALLOC_CONTEXT", "SET_DOMAIN_CORE_CONFIG", "COMMIT", "GET_ATTESTATION"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Each_ioctl_the_driver_refuses_fails_creation_naming_it_and_leaves_no_domain_or_mapping(string ioctl)
    {
        using var kit = new DriverKit();
        uint number = ioctl switch
        {
            "GET_PHYSOFFSET" => DriverAbi.GetPhysOffset,
            "MPROTECT" => DriverAbi.Mprotect,
            "SET_DOMAIN_CONFIGURATION" => DriverAbi.SetDomainConfiguration,
            "ALLOC_CONTEXT" => DriverAbi.AllocContext,
            "SET_DOMAIN_CORE_CONFIG" => DriverAbi.SetDomainCoreConfig,
            "COMMIT" => DriverAbi.Commit,
            _ => DriverAbi.GetAttestation,
        };
        kit.Device.FailNext = number;
        var error = Assert.Throws<MonitorException>(() => kit.Create<IProbe, ProbeBoundary>(new Probe()));
        Assert.Contains(ioctl, error.Message, StringComparison.Ordinal);
        Assert.Empty(kit.Device.OpenDescriptors);
        Assert.Equal(kit.Device.Calls.Count(call => call.Name == "mmap"), kit.Device.Calls.Count(call => call.Name == "munmap"));
    }

    [Fact]
    public void Interrupt_and_timer_exits_re_enter_the_domain_until_it_answers()
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        kit.Device.Transitions.Enqueue((0, 0, (uint)ExitReason.Timer));
        kit.Device.Transitions.Enqueue((0, 0, (uint)ExitReason.Interrupt));
        Assert.Equal(5, host.Proxy.Add(2, 3, []));
        Assert.Equal(3, kit.Device.Calls.Count(call => call.Name == "TRANSITION"));
        Assert.Null(host.StopReason);
    }

    [Fact]
    public void A_domain_that_never_answers_is_revoked_at_the_call_timeout()
    {
        using var kit = new DriverKit(TimeSpan.FromMilliseconds(200));
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        kit.Device.Cpu = _ => (uint)ExitReason.Timer; // preempted forever, never switching back
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Add(1, 1, []));
        Assert.Contains("CallTimeout", host.StopReason, StringComparison.Ordinal);
        Assert.Empty(kit.Device.OpenDescriptors); // closed: the driver revoked it
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Add(1, 1, []));
    }

    [Fact]
    public void A_domain_that_faults_fails_the_call_as_an_implementation_fault_and_is_stopped_for_good()
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        kit.Device.Transitions.Enqueue((0, 0, (uint)ExitReason.MemoryFault));
        var fault = Assert.Throws<BoundaryViolationException>(() => host.Proxy.Add(1, 1, []));
        Assert.Equal(CallStatus.ImplementationFault, fault.Status);
        Assert.Contains("MemoryFault", host.StopReason, StringComparison.Ordinal);
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Add(1, 1, []));
        Assert.Empty(kit.Device.OpenDescriptors);
    }

    [Fact]
    public void Entry_code_that_reaches_outside_its_page_tables_is_a_fault_not_an_answer()
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        kit.OnEntry = cpu => cpu.Memory(0x1000, 8, FakeCpu.Access.Read); // an address the domain was never given
        Assert.Equal(CallStatus.ImplementationFault, Assert.Throws<BoundaryViolationException>(() => host.Proxy.Add(1, 1, [])).Status);
    }

    [Theory]
    [InlineData(0, 66u)] // the monitor's DOMAIN_REVOKED in the exit reason
    [InlineData(0, 5u)] // the driver's REVOKED
    [InlineData(-1, 0u)] // TRANSITION itself refused: the domain cannot be entered any more
    public void A_domain_the_monitor_revoked_or_the_driver_refuses_to_enter_fails_the_call_with_BoundaryRevokedException(int result, uint error)
    {
        using var kit = new DriverKit();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        kit.Device.Transitions.Enqueue((result, result == 0 ? 0 : FakeTycheDevice.EINVAL, error));
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Add(1, 1, []));
        Assert.NotNull(host.StopReason);
        Assert.Empty(kit.Device.OpenDescriptors);
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Add(1, 1, []));
    }

    [Fact]
    public void Disposing_the_host_revokes_the_domain_and_later_calls_fail()
    {
        using var kit = new DriverKit();
        TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(new Probe());
        IProbe proxy = host.Proxy;
        host.Dispose();
        Assert.Empty(kit.Device.OpenDescriptors);
        Assert.Throws<BoundaryRevokedException>(() => proxy.Add(1, 1, []));
        Assert.Equal(kit.Device.Calls.Count(call => call.Name == "mmap"), kit.Device.Calls.Count(call => call.Name == "munmap"));
    }

    [Fact]
    public async Task Two_cores_have_their_own_context_region_and_scratch_and_serve_callers_at_once()
    {
        using var kit = new DriverKit();
        var probe = new Probe();
        using TrustDomainHost<IProbe> host = kit.Create<IProbe, ProbeBoundary>(probe, cores: 2);
        Assert.Equal([0, 1], host.Cores);
        int fd = kit.Device.OpenDescriptors.Single();
        Assert.Equal(3ul, kit.Device.Configuration(fd, (int)PermissionIndex.AllowedCores));
        SortedDictionary<ulong, ulong> first = kit.Device.CoreFields(fd, 0);
        SortedDictionary<ulong, ulong> second = kit.Device.CoreFields(fd, 1);
        foreach (uint field in new[] { ContextField.GuestRdi, ContextField.GuestRdx, ContextField.GuestRsp, ContextField.GuestR8 })
        {
            Assert.NotEqual(first[field], second[field]);
        }

        Assert.Equal(first[ContextField.GuestRip], second[ContextField.GuestRip]);
        int[][] results = await Task.WhenAll(Enumerable.Range(0, 2).Select(lane => Task.Run(() =>
            Enumerable.Range(0, 200).Select(index => host.ProxyOn(lane).Add(index, lane, [])).ToArray())));
        for (int lane = 0; lane < 2; lane++)
        {
            Assert.Equal(Enumerable.Range(0, 200).Select(index => index + lane), results[lane]);
        }

        Assert.Equal(400, host.Counters.Completed);
    }

    [Fact]
    public void Out_calls_and_cores_beyond_the_machine_are_refused_before_any_domain_is_opened()
    {
        using var kit = new DriverKit();
        Assert.Throws<NotSupportedException>(() => TrustDomainHost.Create<ILedger, LedgerBoundary, IRates, RatesBoundary>(
            proxy => new Ledger(proxy), new Rates(), new TrustDomainHostOptions { Backend = kit.Backend }));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrustDomainHost.Create<IProbe, ProbeBoundary>(
            new Probe(), new TrustDomainHostOptions { Backend = kit.Backend, CoreCount = kit.Monitor.CoreCount + 1 }));
        Assert.DoesNotContain(kit.Device.Calls, call => call.Name == "open");
    }

    [Theory]
    [InlineData(0, 0, 4096)]
    [InlineData(10, 10, 4096)]
    [InlineData(10, -1, 4096)]
    [InlineData(10, 0, 100)]
    [InlineData(10, 0, (16 << 20) + 1)]
    public void A_binary_with_no_code_an_entry_outside_it_or_a_bad_stack_is_refused(int length, int entry, int stack) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DriverDomainBinary(new byte[length], entry, stack));

    [Fact]
    public void Without_dev_tyche_the_backend_fails_at_once_naming_the_device_rather_than_pretending_to_enter()
    {
        if (File.Exists(DriverAbi.DevicePath))
        {
            output.WriteLine("SKIPPED: this machine has /dev/tyche; the test checks the error on machines without it.");
            return;
        }

        var error = Assert.Throws<MonitorException>(() => new DriverBackend(DriverKit.Binary));
        Assert.Contains(DriverAbi.DevicePath, error.Message, StringComparison.Ordinal);
        Assert.Contains(error.Error, new[] { MonitorError.DeviceError, MonitorError.NotSupported });
    }
}
