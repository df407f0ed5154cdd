using System;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TailGuard.Tyche.Attestation;

/// <summary>
/// A signed statement by the monitor: "domain <see cref="DomainId"/> was sealed with measurement <see cref="Measurement"/>,
/// and this is the whole capability graph", bound to a verifier's nonce. It is the envelope around the engine's own
/// serialized graph (<see cref="CapabilityGraph"/>), which by itself is not signed. Encoding (little-endian):
/// "TGAR" magic, u16 version (2), u16 nonce length (1-64), u32 domain id, 32-byte measurement, the nonce, u32 the
/// attested domain's index in the graph, u32 graph length, the graph (SERIALIZE_ATTESTATION's bytes), then a 64-byte
/// ECDSA P-256 signature (IEEE P1363, SHA-256) over every byte before it.
/// </summary>
public sealed class AttestationReport
{
    /// <summary>"TGAR", little-endian.</summary>
    public const uint Magic = 0x52414754;

    /// <summary>The only version: 2 (version 1 had no capability graph).</summary>
    public const ushort Version = 2;

    /// <summary>The longest nonce.</summary>
    public const int MaxNonceLength = 64;

    /// <summary>The measurement length (SHA-256).</summary>
    public const int MeasurementLength = 32;

    /// <summary>The signature length (P-256, P1363).</summary>
    public const int SignatureLength = 64;

    /// <summary>The longest capability graph a report carries.</summary>
    public const int MaxGraphLength = 1 << 20;

    private const int HeaderLength = 4 + 2 + 2 + 4 + MeasurementLength;

    private AttestationReport(int domainId, byte[] measurement, byte[] nonce, int graphDomainIndex, CapabilityGraph graph, byte[] encodedGraph, byte[] signature)
    {
        DomainId = domainId;
        Measurement = measurement;
        Nonce = nonce;
        GraphDomainIndex = graphDomainIndex;
        Graph = graph;
        EncodedGraph = encodedGraph;
        Signature = signature;
    }

    /// <summary>The monitor's id of the attested domain.</summary>
    public int DomainId { get; }

    /// <summary>The measurement fixed at sealing.</summary>
    public ReadOnlyMemory<byte> Measurement { get; }

    /// <summary>The verifier's nonce.</summary>
    public ReadOnlyMemory<byte> Nonce { get; }

    /// <summary>The attested domain's index in <see cref="Graph"/>.</summary>
    public int GraphDomainIndex { get; }

    /// <summary>The capability graph at the time of the report, parsed.</summary>
    public CapabilityGraph Graph { get; }

    /// <summary>The capability graph as the monitor serialized it (the engine's format).</summary>
    public ReadOnlyMemory<byte> EncodedGraph { get; }

    /// <summary>The signature.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>Parses an encoded report (structure only; <see cref="AttestationVerifier"/> checks the signature).</summary>
    /// <param name="encoded">The bytes.</param>
    /// <param name="report">The report, or null when malformed.</param>
    /// <returns>Whether the bytes are a well-formed report.</returns>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out AttestationReport? report)
    {
        report = null;
        if (encoded.Length < HeaderLength + 1 + 8 + SignatureLength
            || BinaryPrimitives.ReadUInt32LittleEndian(encoded) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(encoded[4..]) != Version)
        {
            return false;
        }

        int nonceLength = BinaryPrimitives.ReadUInt16LittleEndian(encoded[6..]);
        if (nonceLength is < 1 or > MaxNonceLength || encoded.Length < HeaderLength + nonceLength + 8 + SignatureLength)
        {
            return false;
        }

        int cursor = HeaderLength + nonceLength;
        uint graphDomainIndex = BinaryPrimitives.ReadUInt32LittleEndian(encoded[cursor..]);
        uint graphLength = BinaryPrimitives.ReadUInt32LittleEndian(encoded[(cursor + 4)..]);
        cursor += 8;
        if (graphLength > MaxGraphLength || encoded.Length != cursor + (int)graphLength + SignatureLength)
        {
            return false;
        }

        ReadOnlySpan<byte> encodedGraph = encoded.Slice(cursor, (int)graphLength);
        if (!CapabilityGraph.TryParse(encodedGraph, out CapabilityGraph? graph, out _) || graphDomainIndex >= (uint)graph!.Domains.Count)
        {
            return false;
        }

        report = new AttestationReport(
            BinaryPrimitives.ReadInt32LittleEndian(encoded[8..]),
            encoded.Slice(12, MeasurementLength).ToArray(),
            encoded.Slice(HeaderLength, nonceLength).ToArray(),
            (int)graphDomainIndex,
            graph,
            encodedGraph.ToArray(),
            encoded[^SignatureLength..].ToArray());
        return true;
    }

    /// <summary>The length of the signed part of an encoded report.</summary>
    internal static int SignedLength(int encodedLength) => encodedLength - SignatureLength;

    internal static byte[] Create(int domainId, ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> nonce, int graphDomainIndex, ReadOnlySpan<byte> graph, ECDsa key)
    {
        if (nonce.Length is < 1 or > MaxNonceLength)
        {
            throw new ArgumentException($"The nonce must be 1 to {MaxNonceLength} bytes.", nameof(nonce));
        }

        if (measurement.Length != MeasurementLength)
        {
            throw new ArgumentException("A measurement is 32 bytes.", nameof(measurement));
        }

        if (graph.Length > MaxGraphLength)
        {
            throw new ArgumentException($"A capability graph in a report is at most {MaxGraphLength} bytes.", nameof(graph));
        }

        int cursor = HeaderLength + nonce.Length;
        int signed = cursor + 8 + graph.Length;
        var encoded = new byte[signed + SignatureLength];
        BinaryPrimitives.WriteUInt32LittleEndian(encoded, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(encoded.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(encoded.AsSpan(6), (ushort)nonce.Length);
        BinaryPrimitives.WriteInt32LittleEndian(encoded.AsSpan(8), domainId);
        measurement.CopyTo(encoded.AsSpan(12));
        nonce.CopyTo(encoded.AsSpan(HeaderLength));
        BinaryPrimitives.WriteUInt32LittleEndian(encoded.AsSpan(cursor), (uint)graphDomainIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(encoded.AsSpan(cursor + 4), (uint)graph.Length);
        graph.CopyTo(encoded.AsSpan(cursor + 8));
        int length = key.SignData(encoded.AsSpan(0, signed), encoded.AsSpan(signed), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        if (length != SignatureLength)
        {
            throw new CryptographicException("The monitor's key is not a P-256 key.");
        }

        return encoded;
    }
}
