using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using TailGuard.Fuzz.Harness;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Fuzz.Attestation;

/// <summary>
/// The attestation report parser and verifier, and the capability graph parser under it. The first input byte chooses:
/// even, the rest is a report (<see cref="AttestationReport.TryParse"/>, <see cref="AttestationVerifier"/>); odd, 16
/// bytes of an address range and then a graph (<see cref="CapabilityGraph.TryParse"/>, <see cref="CapabilityGraph.DomainsReaching"/>).
/// Invariants: a parsed report's fields have their documented sizes and lie where the encoding says; a report verifies
/// only when it is byte for byte one the monitor signed (with its own measurement and nonce); a parsed graph is
/// consistent (bounded counts, start before end, a parent before and around its child, indices in range); the domains
/// reaching a range are those a plain interval computation finds; nothing throws.
/// </summary>
internal sealed class AttestationTarget : IFuzzTarget, IDisposable
{
    private const ulong Page = 4096;

    private readonly AttestationVerifier _verifier;
    private readonly List<(byte[] Report, byte[] Measurement, byte[] Nonce)> _genuine = [];

    public AttestationTarget()
    {
        // A fixed monitor key, so the committed seeds are reports this verifier accepts (ECDSA signatures still vary).
        using var key = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray() });
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { MemorySize = 1 << 20, SigningKey = key });
        TrustDomain domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(domain, 3 * Page);
        monitor.HostWrite(memory, Enumerable.Range(0, (int)Page).Select(i => (byte)i).ToArray());
        monitor.AddSegment(domain, memory, Page, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + Page, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        monitor.AddSegment(domain, memory + (2 * Page), Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        monitor.AllocateCoreContext(domain, 0);
        monitor.Commit(domain);
        byte[] measurement = monitor.GetMeasurement(domain);
        foreach (byte[] nonce in (byte[][])[[1], Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), Enumerable.Repeat((byte)0xAB, 64).ToArray()])
        {
            _genuine.Add((monitor.CreateAttestationReport(domain, nonce), measurement, nonce));
        }

        _verifier = new AttestationVerifier(monitor.ExportPublicKey());
    }

    public string Name => "attestation";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        if ((input[0] & 1) == 0)
        {
            Report(input[1..]);
        }
        else if (input.Length >= 17)
        {
            Graph(input[17..], BinaryPrimitives.ReadUInt64LittleEndian(input[1..]), BinaryPrimitives.ReadUInt64LittleEndian(input[9..]));
        }
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        for (int i = 0; i < _genuine.Count; i++)
        {
            yield return ($"report-{i}", [0, .. _genuine[i].Report]);
        }

        AttestationReport report = AttestationReport.TryParse(_genuine[0].Report, out AttestationReport? parsed) ? parsed! : throw new InvalidOperationException("The monitor's own report does not parse.");
        byte[] range = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(range.AsSpan(8), ulong.MaxValue);
        yield return ("graph", [1, .. range, .. report.EncodedGraph.Span]);
    }

    /// <summary>Two report seeds are the same report when all but their (randomized ECDSA) signatures are equal.</summary>
    public bool IsSameSeed(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        a.Length == b.Length && (a.Length < 1 + AttestationReport.SignatureLength || a[0] != 0 ? a.SequenceEqual(b) : a[..^AttestationReport.SignatureLength].SequenceEqual(b[..^AttestationReport.SignatureLength]));

    public void Dispose() => _verifier.Dispose();

    private void Report(ReadOnlySpan<byte> encoded)
    {
        bool parsed = AttestationReport.TryParse(encoded, out AttestationReport? report);
        Invariant.Holds(parsed == (report is not null), "TryParse's answer and its report disagree.");
        if (parsed)
        {
            Invariant.Holds(report!.Measurement.Length == AttestationReport.MeasurementLength && report.Signature.Length == AttestationReport.SignatureLength, "A parsed report's measurement or signature has the wrong size.");
            Invariant.Holds(report.Nonce.Length is >= 1 and <= AttestationReport.MaxNonceLength, $"A parsed report's nonce has {report.Nonce.Length} bytes.");
            Invariant.Holds(encoded.EndsWith(report.Signature.Span) && encoded[..^AttestationReport.SignatureLength].EndsWith(report.EncodedGraph.Span), "A parsed report's graph or signature is not where the encoding puts it.");
            Invariant.Holds(report.GraphDomainIndex >= 0 && report.GraphDomainIndex < report.Graph.Domains.Count, "A parsed report's domain is not in its graph.");
            CheckGraph(report.Graph, 0, ulong.MaxValue);
        }

        // Authentic: the signed part (all but the signature) is a message the monitor signed. Any signature the key made
        // over it verifies; nothing else may.
        int signed = -1;
        bool exact = false;
        for (int i = 0; i < _genuine.Count; i++)
        {
            byte[] genuine = _genuine[i].Report;
            if (encoded.Length == genuine.Length && encoded[..^AttestationReport.SignatureLength].SequenceEqual(genuine.AsSpan(0, genuine.Length - AttestationReport.SignatureLength)))
            {
                signed = i;
                exact = encoded.SequenceEqual(genuine);
            }
        }

        bool verified = _verifier.Verify(encoded, out AttestationReport? authentic);
        Invariant.Holds(!verified || signed >= 0, "A report the monitor never signed verified.");
        Invariant.Holds(verified || !exact, "A report the monitor signed did not verify.");
        Invariant.Holds(verified == (authentic is not null), "Verify's answer and its report disagree.");
        foreach ((byte[] _, byte[] measurement, byte[] nonce) in _genuine)
        {
            bool own = signed >= 0 && measurement.AsSpan().SequenceEqual(_genuine[signed].Measurement) && nonce.AsSpan().SequenceEqual(_genuine[signed].Nonce);
            Invariant.Holds(_verifier.Verify(encoded, measurement, nonce) == (verified && own), "A report verified for another measurement or nonce than its own (or not for its own).");
        }
    }

    private static void Graph(ReadOnlySpan<byte> encoded, ulong start, ulong end)
    {
        bool parsed = CapabilityGraph.TryParse(encoded, out CapabilityGraph? graph, out string? error);
        Invariant.Holds(parsed == (graph is not null) && parsed == (error is null), "TryParse's answer, graph and error disagree.");
        if (parsed)
        {
            CheckGraph(graph!, start, end);
        }
        else
        {
            try
            {
                CapabilityGraph.Parse(encoded);
                throw new InvariantViolationException("Parse accepted what TryParse rejected.");
            }
            catch (FormatException)
            {
            }
        }
    }

    private static void CheckGraph(CapabilityGraph graph, ulong start, ulong end)
    {
        Invariant.Holds(graph.Regions.Count <= 1024 && graph.Domains.Count <= 32, $"A graph of {graph.Regions.Count} regions and {graph.Domains.Count} domains passed the bounds.");
        for (int i = 0; i < graph.Regions.Count; i++)
        {
            AttestedRegion region = graph.Regions[i];
            Invariant.Holds(region.Index == i && region.Start <= region.End, $"Region {i} is misnumbered or ends before it starts.");
            Invariant.Holds(region.Parent < i, $"Region {i}'s parent {region.Parent} does not come before it.");
            if (region.Parent >= 0)
            {
                AttestedRegion parent = graph.Regions[region.Parent];
                Invariant.Holds(region.Start >= parent.Start && region.End <= parent.End, $"Region {i} is not inside its parent.");
            }
        }

        for (int d = 0; d < graph.Domains.Count; d++)
        {
            AttestedDomain domain = graph.Domains[d];
            Invariant.Holds(domain.Index == d && domain.Regions.All(r => r >= 0 && r < graph.Regions.Count) && domain.Managed.All(m => m >= 0 && m < graph.Domains.Count), $"Domain {d} names a region or domain the graph lacks.");
        }

        if (start >= end)
        {
            return;
        }

        IReadOnlyList<int> reaching = graph.DomainsReaching(start, end);
        int[] expected = graph.Domains.Where(d => d.Regions.Any(r => Reaches(graph, graph.Regions[r], start, end))).Select(d => d.Index).ToArray();
        Invariant.Holds(reaching.SequenceEqual(expected), $"DomainsReaching [{start:X}, {end:X}) says [{string.Join(",", reaching)}]; the intervals say [{string.Join(",", expected)}].");
    }

    /// <summary>Whether [start, end) ∩ region is not covered by the union of the region's carved children.</summary>
    private static bool Reaches(CapabilityGraph graph, AttestedRegion region, ulong start, ulong end)
    {
        ulong from = Math.Max(start, region.Start);
        ulong to = Math.Min(end, region.End);
        if (from >= to)
        {
            return false;
        }

        ulong covered = 0;
        ulong reach = from;
        foreach (AttestedRegion child in graph.Regions.Where(c => c.Parent == region.Index && c.Kind == AttestedRegionKind.Carve).OrderBy(c => c.Start))
        {
            ulong s = Math.Max(Math.Max(child.Start, from), reach);
            ulong e = Math.Min(child.End, to);
            if (s < e)
            {
                covered += e - s;
                reach = e;
            }
        }

        return covered < to - from;
    }
}
