using System;
using System.Linq;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// F20-F22: SERIALIZE_ATTESTATION in the engine's own format, one parser for what the simulator and a real monitor
/// return, and the signed report as the envelope around it (tyche-devel crates/capability-engine/src/serializer.rs,
/// crates/attest_client/src/deserializer.rs).
/// </summary>
public sealed class CapabilityGraphTests
{
    private const ulong A = 0x10000;

    /// <summary>The host aliases four pages to d1 with HASH; d1 carves a page of them and grants it to its own child d2.</summary>
    private static (SimulatedMonitor Monitor, byte[] Graph, byte[] Data) Nested()
    {
        SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        byte[] data = RandomNumberGenerator.GetBytes((int)(4 * Page));
        core.Write(A, data);
        Child d1 = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, d1.Management, A, A + (4 * Page), MemoryRights.Read | MemoryRights.Write, MemoryRights.Hash, shared: true);
        RunAs(core, d1, domain =>
        {
            CapabilityHandle d2 = domain.CreateDomain();
            Give(domain, Find(domain, CapabilityKind.Region).Handle, d2, A + Page, A + (2 * Page));
        });

        byte[] buffer = new byte[4096];
        int written = core.SerializeAttestation(buffer);
        return (monitor, buffer[..written], data);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/serializer.rs serialize_region, serialize_domain")]
    public void F20_Compatible_nested_trees_hashes_and_managed_domains_serialize_exactly_as_the_engine_writes_them()
    {
        (SimulatedMonitor monitor, byte[] graph, byte[] data) = Nested();
        using (monitor)
        {
            const byte Rw = 0x03, RwHash = 0x13, Rwxs = 0x0F;
            byte[] expected = new EngineGraph()
                .Root(Rwxs, 0, 1 << 20)                                                       // 0
                .Alias(0, RwHash, A, A + (4 * Page), SHA256.HashData(data))                   // 1: hashed when sent
                .Carve(1, Rw, A + Page, A + (2 * Page))                                       // 2: a child of the alias
                .Domain(0, (ulong)MonitorInterfaceRights.All, (true, 0), (false, 1), (false, 2))
                .Domain(1, 0)
                .Domain(2, (ulong)MonitorInterfaceRights.All, (true, 1), (false, 3))          // d1: the alias, Management(d2)
                .Domain(3, 0, (true, 2))                                                      // d2 (no permissions configured)
                .Build();
            Assert.Equal(expected, graph);

            CapabilityGraph parsed = CapabilityGraph.Parse(graph);
            Assert.Equal([AttestedRegionKind.Root, AttestedRegionKind.Alias, AttestedRegionKind.Carve], parsed.Regions.Select(region => region.Kind));
            Assert.Equal([-1, 0, 1], parsed.Regions.Select(region => region.Parent));
            Assert.Equal(SHA256.HashData(data), parsed.Regions[1].Hash.ToArray());
            Assert.Equal([3], parsed.Domains[2].Managed);

            // An alias does not take access away from its parent's holder; a carve does.
            Assert.Equal([0, 3], parsed.DomainsReaching(A + Page, A + (2 * Page)));
            Assert.Equal([0, 2], parsed.DomainsReaching(A, A + Page));
        }
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/serializer.rs serialize (returns one byte more than written); crates/attest_client/src/deserializer.rs")]
    public void F21_The_parser_reads_what_a_real_monitor_returns_including_devices_and_the_extra_reported_byte()
    {
        byte[] engine = new EngineGraph()
            .Root(0x0F, 0, 0x100000)
            .Carve(0, 0x05, 0x1000, 0x2000)
            .Device(0x8F, 0xFEE00000, 0xFEE01000)
            .Domain(0, 0x3F, (true, 0), (true, 2), (false, 1))
            .Domain(1, 0, (true, 1))
            .Build();

        // The engine reports written + 1: the caller hands the parser one byte past the final marker.
        CapabilityGraph graph = CapabilityGraph.Parse([.. engine, 0xCC]);
        Assert.Equal(3, graph.Regions.Count);
        Assert.Equal((AttestedRegionKind.Device, -1, (MemoryRights)0x8F), (graph.Regions[2].Kind, graph.Regions[2].Parent, graph.Regions[2].Rights));
        Assert.Equal([0, 2], graph.Domains[0].Regions);
        Assert.Equal([1], graph.DomainsReaching(0x1000, 0x2000));
    }

    [Fact]
    public void F21_Every_truncation_and_every_bit_flip_of_a_graph_is_rejected_or_parsed_never_thrown()
    {
        (SimulatedMonitor monitor, byte[] graph, _) = Nested();
        using (monitor)
        {
            for (int length = 0; length < graph.Length; length++)
            {
                Assert.False(CapabilityGraph.TryParse(graph.AsSpan(0, length), out CapabilityGraph? none, out string? error), $"prefix of {length} bytes");
                Assert.Null(none);
                Assert.False(string.IsNullOrEmpty(error));
            }

            for (int index = 0; index < graph.Length; index++)
            {
                for (int bit = 0; bit < 8; bit++)
                {
                    byte[] flipped = (byte[])graph.Clone();
                    flipped[index] ^= (byte)(1 << bit);
                    _ = CapabilityGraph.TryParse(flipped, out _, out _); // must not throw, whatever it decides
                }
            }

            Assert.Throws<FormatException>(() => CapabilityGraph.Parse(graph.AsSpan(0, graph.Length - 1)));
        }
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "magic", [.. "capb"u8.ToArray(), 1, 0xFF, 2, 0xFF, 0xFF] },
        { "parent", new EngineGraph().Root(1, 0, 10).Carve(1, 1, 0, 5).Build() },                       // its parent does not precede it
        { "inside", new EngineGraph().Root(1, 0, 10).Carve(0, 1, 5, 20).Build() },                      // not inside its parent
        { "order", new EngineGraph().Root(1, 10, 0).Build() },                                          // start after end
        { "hash", new EngineGraph().Root(1, 0, 10).Alias(0, 1, 0, 5, new byte[65]).Build() },          // a hash longer than 64 bytes
        { "index", new EngineGraph().Root(1, 0, 10).Domain(1, 0).Build() },                             // domains are numbered from 0
        { "region", new EngineGraph().Root(1, 0, 10).Domain(0, 0, (true, 1)).Build() },                 // no region 1
        { "managed", new EngineGraph().Root(1, 0, 10).Domain(0, 0, (false, 5)).Build() },               // no domain 5
        { "kind", [.. "capa"u8.ToArray(), 1, 0x90, 0xFF, 2, 0xFF, 0xFF] },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void F21_Malformed_graphs_are_rejected_with_a_reason(string what, byte[] encoded)
    {
        Assert.False(CapabilityGraph.TryParse(encoded, out CapabilityGraph? graph, out string? error), what);
        Assert.Null(graph);
        Assert.False(string.IsNullOrWhiteSpace(error), what);
    }

    [Fact]
    [Trait("Reference", "tyche-devel crates/capability-engine/src/serializer.rs (the graph itself is unsigned)")]
    public void F22_Compatible_the_signed_report_envelops_the_graph_and_names_the_attested_domain_in_it()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { MemorySize = 1 << 20 });
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 2 * Page);
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);
        byte[] nonce = RandomNumberGenerator.GetBytes(32);

        byte[] encoded = monitor.CreateAttestationReport(domain, nonce);
        using var verifier = new AttestationVerifier(monitor.ExportPublicKey());
        Assert.True(verifier.Verify(encoded, out AttestationReport? report));

        byte[] graph = new byte[4096];
        int written = monitor.SerializeAttestation(domain, graph);
        Assert.Equal(graph[..written], report!.EncodedGraph.ToArray());
        Assert.Equal([report.GraphDomainIndex], report.Graph.DomainsReaching(memory, memory + Page)); // its confidential code: it alone
        Assert.Equal(2, report.Graph.DomainsReaching(memory + Page, memory + (2 * Page)).Count);   // the shared page: host and domain

        // The signature covers the graph: a domain index or a region bound changed in transit fails verification.
        int graphStart = encoded.Length - AttestationReport.SignatureLength - written;
        byte[] tampered = (byte[])encoded.Clone();
        tampered[graphStart - 8] ^= 1; // the attested domain's index
        Assert.False(verifier.Verify(tampered, out _));
        tampered = (byte[])encoded.Clone();
        tampered[graphStart + 4 + 1 + 1 + 1] ^= 0x40; // inside the root's start
        Assert.False(verifier.Verify(tampered, out _));
    }
}
