using System;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TailGuard.Tyche.Attestation;

/// <summary>
/// A signed statement by the monitor: "domain <see cref="DomainId"/> was sealed with measurement <see cref="Measurement"/>",
/// bound to a verifier's nonce. Encoding (little-endian): "TGAR" magic, u16 version (1), u16 nonce length (1-64),
/// u32 domain id, 32-byte measurement, the nonce, then a 64-byte ECDSA P-256 signature (IEEE P1363, SHA-256) over
/// every byte before it.
/// </summary>
public sealed class AttestationReport
{
    /// <summary>"TGAR", little-endian.</summary>
    public const uint Magic = 0x52414754;

    /// <summary>The only version.</summary>
    public const ushort Version = 1;

    /// <summary>The longest nonce.</summary>
    public const int MaxNonceLength = 64;

    /// <summary>The measurement length (SHA-256).</summary>
    public const int MeasurementLength = 32;

    /// <summary>The signature length (P-256, P1363).</summary>
    public const int SignatureLength = 64;

    private const int HeaderLength = 4 + 2 + 2 + 4 + MeasurementLength;

    private AttestationReport(int domainId, byte[] measurement, byte[] nonce, byte[] signature)
    {
        DomainId = domainId;
        Measurement = measurement;
        Nonce = nonce;
        Signature = signature;
    }

    /// <summary>The monitor's id of the attested domain.</summary>
    public int DomainId { get; }

    /// <summary>The measurement fixed at sealing.</summary>
    public ReadOnlyMemory<byte> Measurement { get; }

    /// <summary>The verifier's nonce.</summary>
    public ReadOnlyMemory<byte> Nonce { get; }

    /// <summary>The signature.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>Parses an encoded report (structure only; <see cref="AttestationVerifier"/> checks the signature).</summary>
    /// <param name="encoded">The bytes.</param>
    /// <param name="report">The report, or null when malformed.</param>
    /// <returns>Whether the bytes are a well-formed report.</returns>
    public static bool TryParse(ReadOnlySpan<byte> encoded, out AttestationReport? report)
    {
        report = null;
        if (encoded.Length < HeaderLength + 1 + SignatureLength
            || BinaryPrimitives.ReadUInt32LittleEndian(encoded) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(encoded[4..]) != Version)
        {
            return false;
        }

        int nonceLength = BinaryPrimitives.ReadUInt16LittleEndian(encoded[6..]);
        if (nonceLength is < 1 or > MaxNonceLength || encoded.Length != HeaderLength + nonceLength + SignatureLength)
        {
            return false;
        }

        report = new AttestationReport(
            BinaryPrimitives.ReadInt32LittleEndian(encoded[8..]),
            encoded.Slice(12, MeasurementLength).ToArray(),
            encoded.Slice(HeaderLength, nonceLength).ToArray(),
            encoded.Slice(HeaderLength + nonceLength, SignatureLength).ToArray());
        return true;
    }

    /// <summary>The length of the signed part of an encoded report.</summary>
    internal static int SignedLength(int nonceLength) => HeaderLength + nonceLength;

    internal static byte[] Create(int domainId, ReadOnlySpan<byte> measurement, ReadOnlySpan<byte> nonce, ECDsa key)
    {
        if (nonce.Length is < 1 or > MaxNonceLength)
        {
            throw new ArgumentException($"The nonce must be 1 to {MaxNonceLength} bytes.", nameof(nonce));
        }

        if (measurement.Length != MeasurementLength)
        {
            throw new ArgumentException("A measurement is 32 bytes.", nameof(measurement));
        }

        int signed = SignedLength(nonce.Length);
        var encoded = new byte[signed + SignatureLength];
        BinaryPrimitives.WriteUInt32LittleEndian(encoded, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(encoded.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(encoded.AsSpan(6), (ushort)nonce.Length);
        BinaryPrimitives.WriteInt32LittleEndian(encoded.AsSpan(8), domainId);
        measurement.CopyTo(encoded.AsSpan(12));
        nonce.CopyTo(encoded.AsSpan(HeaderLength));
        int length = key.SignData(encoded.AsSpan(0, signed), encoded.AsSpan(signed), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        if (length != SignatureLength)
        {
            throw new CryptographicException("The monitor's key is not a P-256 key.");
        }

        return encoded;
    }
}
