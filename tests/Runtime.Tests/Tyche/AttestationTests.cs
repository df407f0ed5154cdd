using System;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>Measurements through the host API, signed reports and their verification, and the engine's "capa" graph format.</summary>
public sealed class AttestationTests
{
    private static (SimulatedMonitor Monitor, TrustDomain Domain, byte[] Code) Committed()
    {
        var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { MemorySize = 1 << 20 });
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 3 * Page);
        byte[] code = new byte[Page];
        new Random(42).NextBytes(code);
        monitor.HostWrite(memory, code);
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + (2 * Page), Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);
        return (monitor, domain, code);
    }

    [Fact]
    public void Compatible_the_committed_measurement_equals_SHA256_computed_independently_over_the_HASH_segment()
    {
        (SimulatedMonitor monitor, TrustDomain domain, byte[] code) = Committed();
        using (monitor)
        {
            ulong start = Page; // the first block MapMemory hands out
            byte[] expected = SHA256.HashData([.. MeasurementTests.Describe(start, start + Page, true, true, false, true, true), .. code]);
            Assert.Equal(expected, monitor.GetMeasurement(domain));
        }
    }

    [Fact]
    public void Compatible_a_report_signed_by_the_monitor_verifies_for_its_measurement_and_nonce()
    {
        (SimulatedMonitor monitor, TrustDomain domain, _) = Committed();
        using (monitor)
        {
            byte[] nonce = RandomNumberGenerator.GetBytes(32);
            byte[] report = monitor.CreateAttestationReport(domain, nonce);
            using var verifier = new AttestationVerifier(monitor.ExportPublicKey());

            Assert.True(verifier.Verify(report, monitor.GetMeasurement(domain), nonce));
            Assert.True(verifier.Verify(report, out AttestationReport? parsed));
            Assert.Equal(domain.Id, parsed!.DomainId);
            Assert.False(verifier.Verify(report, monitor.GetMeasurement(domain), RandomNumberGenerator.GetBytes(32))); // another nonce
            Assert.False(verifier.Verify(report, new byte[32], nonce));                                            // another measurement
        }
    }

    [Fact]
    public void Compatible_any_flipped_byte_of_a_report_fails_verification()
    {
        (SimulatedMonitor monitor, TrustDomain domain, _) = Committed();
        using (monitor)
        {
            byte[] nonce = RandomNumberGenerator.GetBytes(16);
            byte[] report = monitor.CreateAttestationReport(domain, nonce);
            using var verifier = new AttestationVerifier(monitor.ExportPublicKey());
            for (int index = 0; index < report.Length; index++)
            {
                for (int bit = 0; bit < 8; bit += 3)
                {
                    byte[] tampered = (byte[])report.Clone();
                    tampered[index] ^= (byte)(1 << bit);
                    Assert.False(verifier.Verify(tampered, out _), $"byte {index} bit {bit}");
                }
            }

            Assert.False(verifier.Verify(report.AsSpan(0, report.Length - 1), out _));
            Assert.True(verifier.Verify(report, out _));
        }
    }

    [Fact]
    public void Compatible_a_report_from_another_monitor_s_key_does_not_verify()
    {
        (SimulatedMonitor monitor, TrustDomain domain, _) = Committed();
        using SimulatedMonitor other = new();
        using (monitor)
        {
            byte[] report = monitor.CreateAttestationReport(domain, [1, 2, 3]);
            using var verifier = new AttestationVerifier(other.ExportPublicKey());
            Assert.False(verifier.Verify(report, out _));
        }
    }

    [Fact]
    public void Compatible_an_unsealed_domain_cannot_be_attested()
    {
        using var monitor = new SimulatedMonitor();
        TrustDomain domain = monitor.CreateDomain();
        Assert.Equal(MonitorError.InvalidOperation, ErrorOf(() => monitor.CreateAttestationReport(domain, [1])));
    }

    [Fact]
    public void Compatible_serialize_attestation_writes_the_engine_s_own_format_byte_for_byte()
    {
        // Derived from tyche-devel crates/capability-engine/src/serializer.rs: the region trees in pre-order, then every
        // domain with the regions and domains it holds; Switch, Channel and RegionRevoke capabilities are not serialized.
        (SimulatedMonitor monitor, TrustDomain domain, byte[] code) = Committed();
        using (monitor)
        {
            byte[] buffer = new byte[1 << 16];
            int written = monitor.SerializeAttestation(domain, buffer);

            const ulong Memory = Page; // the first block MapMemory hands out
            const byte Rwxs = 0x0F, Rw = 0x03;
            byte[] expected = new EngineGraph()
                .Root(Rwxs, 0, 1 << 20)
                .Carve(0, 0x01 | 0x04 | 0x10, Memory, Memory + Page, SHA256.HashData(code))          // code: R X HASH, hashed when sent
                .Carve(0, Rw, Memory + Page, Memory + (2 * Page))                                    // private
                .Alias(0, Rw, Memory + (2 * Page), Memory + (3 * Page))                              // shared
                .Domain(0, (ulong)MonitorInterfaceRights.All, (true, 0), (false, 1), (false, 2))     // host: root, Management(I/O), Management(domain)
                .Domain(1, 0)                                                                        // the I/O domain: only a Channel
                .Domain(2, (ulong)MonitorInterfaceRights.All, (true, 1), (true, 2), (true, 3))       // the domain: its three regions
                .Build();
            Assert.Equal(expected, buffer.AsSpan(0, written).ToArray());

            CapabilityGraph graph = CapabilityGraph.Parse(buffer.AsSpan(0, written));
            Assert.Equal([0], graph.DomainsReaching(0, Memory));
            Assert.Equal([2], graph.DomainsReaching(Memory, Memory + (2 * Page))); // carved out of the host's root: the domain alone
            Assert.Equal([0, 2], graph.DomainsReaching(Memory + (2 * Page), Memory + (3 * Page)));

            var tooSmall = Assert.Throws<MonitorException>(() => monitor.SerializeAttestation(domain, new byte[16]));
            Assert.Equal(MonitorError.BufferTooSmall, tooSmall.Error);
            Assert.Contains($"needs {written} bytes", tooSmall.Message, StringComparison.Ordinal);
            Assert.Equal(written, monitor.SerializeAttestation(domain, new byte[written]));
        }
    }
}
