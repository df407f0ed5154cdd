using System;
using System.Buffers.Binary;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// What a verifier learns from the monitor's signed report about a domain the host set up: where its regions are and
/// how they were derived (the capability graph, in the engine's format) and what it runs (the measurement, which covers
/// the contract, the implementation and every region's address and size), so a host that lays a domain out differently
/// is seen. The engine's graph carries no allowed cores (only the monitor-interface permission): the core restriction
/// is the monitor's to enforce (<see cref="SecondCoreTests"/>), not something a verifier reads.
/// </summary>
public sealed class AttestedConfigurationTests
{
    [Fact]
    public void The_signed_graph_shows_the_private_region_carved_exclusive_and_zeroed_on_revocation_where_the_entry_expects_it()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(new Keeper(), new TrustDomainHostOptions { Monitor = monitor, Core = 2, Nonce = nonce });
        using (var verifier = new AttestationVerifier(monitor.ExportPublicKey()))
        {
            Assert.True(verifier.Verify(host.EncodedAttestation, monitor.GetMeasurement(host.Domain), nonce));
        }

        CapabilityGraph graph = host.Attestation.Graph;
        AttestedDomain attested = graph.Domains[host.Attestation.GraphDomainIndex];
        AttestedRegion[] regions = attested.Regions.Select(index => graph.Regions[index]).ToArray();

        // The host's memory is its root region, mapped at its physical addresses: the address the entry was given is
        // the physical start the graph shows.
        ulong privateSize = Pages(KeeperBoundary.Layout.ScratchSize);
        AttestedRegion scratch = Assert.Single(regions, r => r.Start == host.Region.PrivateAddress);
        Assert.Equal(privateSize, scratch.End - scratch.Start);
        Assert.True(IsConfidential(graph, scratch));
        Assert.Equal(MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, scratch.Rights & (MemoryRights.AccessMask | MemoryRights.Cleanup));
        Assert.Equal([host.Attestation.GraphDomainIndex], graph.DomainsReaching(scratch.Start, scratch.End));

        // The shared region is an alias the host keeps; the code region is measured and nobody else reaches it.
        AttestedRegion shared = Assert.Single(regions, r => r.Start == host.Region.SharedAddress);
        Assert.Equal(AttestedRegionKind.Alias, shared.Kind);
        Assert.Contains(host.Attestation.GraphDomainIndex, graph.DomainsReaching(shared.Start, shared.End));
        Assert.True(graph.DomainsReaching(shared.Start, shared.End).Count > 1);
        AttestedRegion code = Assert.Single(regions, r => (r.Rights & MemoryRights.Hash) != 0);
        Assert.True(IsConfidential(graph, code));
        Assert.Equal([host.Attestation.GraphDomainIndex], graph.DomainsReaching(code.Start, code.End));
    }

    [Fact]
    public void The_measurement_covers_the_contract_the_implementation_and_every_regions_address_and_size()
    {
        using var monitor = new SimulatedMonitor();
        using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(new Keeper(), new TrustDomainHostOptions { Monitor = monitor });
        CapabilityGraph graph = host.Attestation.Graph;
        AttestedRegion code = Assert.Single(
            graph.Domains[host.Attestation.GraphDomainIndex].Regions.Select(index => graph.Regions[index]),
            r => (r.Rights & MemoryRights.Hash) != 0);

        // The measured bytes, as a verifier who knows the contract and the layout it expects rebuilds them.
        ulong privateSize = Pages(KeeperBoundary.Layout.ScratchSize);
        ulong sharedSize = Pages(KeeperBoundary.Layout.RegionSize);
        string text = KeeperBoundary.Contract + "\n" + typeof(Keeper).FullName
            + $"\nprivate 0x{host.Region.PrivateAddress:X} 0x{privateSize:X}\nshared 0x{host.Region.SharedAddress:X} 0x{sharedSize:X}\nout-calls 0x0 0x0";
        byte[] measured = new byte[code.End - code.Start];
        Encoding.UTF8.GetBytes(text).CopyTo(measured, 0);
        Assert.Equal(SHA256.HashData(measured), code.Hash.ToArray()); // the region's hash in the graph: the same bytes
        byte[] header = new byte[21];
        BinaryPrimitives.WriteUInt64LittleEndian(header, code.Start);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), code.End);
        header[16] = 1; // HASH
        header[17] = 1; // EXEC
        header[18] = 0; // WRITE
        header[19] = 1; // READ
        header[20] = 1; // confidential
        byte[] expected = SHA256.HashData([.. header, .. measured]);

        Assert.Equal(expected, host.Attestation.Measurement.ToArray());
    }

    /// <summary>The engine's confidential ("unique") flag, from the graph: a root, or a carve of a confidential region.</summary>
    private static bool IsConfidential(CapabilityGraph graph, AttestedRegion region) => region.Kind switch
    {
        AttestedRegionKind.Root => true,
        AttestedRegionKind.Carve => IsConfidential(graph, graph.Regions[region.Parent]),
        _ => false,
    };

    private static ulong Pages(int size) => ((ulong)size + SimulatedMonitor.PageSize - 1) / SimulatedMonitor.PageSize * SimulatedMonitor.PageSize;
}
