using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>Measurements through the host API, signed reports and their verification, and the "capa" graph format.</summary>
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
    public void Compatible_serialize_attestation_writes_the_capability_graph_with_magic_capa()
    {
        (SimulatedMonitor monitor, TrustDomain domain, _) = Committed();
        using (monitor)
        {
            byte[] buffer = new byte[1 << 16];
            int written = monitor.SerializeAttestation(domain, buffer);
            ReadOnlySpan<byte> graph = buffer.AsSpan(0, written);

            Assert.Equal("capa"u8.ToArray(), graph[..4].ToArray());
            Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(graph[4..]));
            Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(graph[6..])); // the host and the domain

            // The host's record comes first; skip it to reach the child's: id, manager, sealed, then its measurement.
            int offset = 8;
            int hostCapabilities = BinaryPrimitives.ReadUInt16LittleEndian(graph[(offset + 42 + 128)..]);
            offset += 42 + 128 + 2;
            for (int index = 0; index < hostCapabilities; index++)
            {
                offset += 2 + (CapabilityKind)graph[offset + 1] switch
                {
                    CapabilityKind.Management or CapabilityKind.Channel => 4,
                    CapabilityKind.Switch => 8,
                    CapabilityKind.Region => 27,
                    _ => 16,
                };
            }

            Assert.Equal((uint)domain.Id, BinaryPrimitives.ReadUInt32LittleEndian(graph[offset..]));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(graph[(offset + 4)..]));
            Assert.Equal(1, graph[offset + 8]);
            Assert.Equal(monitor.GetMeasurement(domain), graph.Slice(offset + 10, 32).ToArray());

            var tooSmall = Assert.Throws<MonitorException>(() => monitor.SerializeAttestation(domain, new byte[16]));
            Assert.Equal(MonitorError.BufferTooSmall, tooSmall.Error);
            Assert.Contains($"needs {written} bytes", tooSmall.Message, StringComparison.Ordinal);
            Assert.Equal(written, monitor.SerializeAttestation(domain, new byte[written]));
        }
    }
}
