using System;
using System.Security.Cryptography;

namespace TailGuard.Tyche.Attestation;

/// <summary>Checks attestation reports against the monitor's public key, the expected measurement and the verifier's nonce.</summary>
public sealed class AttestationVerifier : IDisposable
{
    private readonly ECDsa _key;

    /// <summary>Creates a verifier for a monitor's key.</summary>
    /// <param name="monitorPublicKey">SubjectPublicKeyInfo (DER) of the monitor's P-256 key.</param>
    public AttestationVerifier(ReadOnlySpan<byte> monitorPublicKey)
    {
        _key = ECDsa.Create();
        _key.ImportSubjectPublicKeyInfo(monitorPublicKey, out _);
        if (_key.KeySize != 256)
        {
            _key.Dispose();
            throw new ArgumentException("The monitor's attestation key is ECDSA P-256.", nameof(monitorPublicKey));
        }
    }

    /// <summary>Whether the report is well formed and signed by the monitor.</summary>
    /// <param name="encoded">The report.</param>
    /// <param name="report">The parsed report when the signature verifies.</param>
    /// <returns>True only for an authentic report.</returns>
    public bool Verify(ReadOnlySpan<byte> encoded, out AttestationReport? report)
    {
        if (!AttestationReport.TryParse(encoded, out report))
        {
            return false;
        }

        int signed = AttestationReport.SignedLength(encoded.Length);
        if (_key.VerifyData(encoded[..signed], encoded[signed..], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return true;
        }

        report = null;
        return false;
    }

    /// <summary>Whether the report is authentic, for the expected measurement, and answers the verifier's nonce.</summary>
    /// <param name="encoded">The report.</param>
    /// <param name="expectedMeasurement">The measurement the verifier trusts.</param>
    /// <param name="expectedNonce">The nonce the verifier sent.</param>
    /// <returns>True only when all three hold.</returns>
    public bool Verify(ReadOnlySpan<byte> encoded, ReadOnlySpan<byte> expectedMeasurement, ReadOnlySpan<byte> expectedNonce) =>
        Verify(encoded, out AttestationReport? report)
        && CryptographicOperations.FixedTimeEquals(report!.Measurement.Span, expectedMeasurement)
        && CryptographicOperations.FixedTimeEquals(report.Nonce.Span, expectedNonce);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();
}
