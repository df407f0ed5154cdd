using System.Security.Cryptography;
using TailGuard.Boundary;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuardDomain.Tests;

/// <summary>Hosts the domain on the simulated monitor and calls it through the generated proxy.</summary>
public sealed class TailGuardDomainTests
{
    [Fact]
    public async Task The_attestation_verifies_for_our_nonce_and_fails_for_another()
    {
        using var monitor = new SimulatedMonitor();
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        await using var host = TailGuardDomainBoundary.Host(new TailGuardDomainService(), new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce });
        using var verifier = new AttestationVerifier(monitor.ExportPublicKey());

        Assert.True(verifier.Verify(host.EncodedAttestation, monitor.GetMeasurement(host.Domain), nonce));
        Assert.False(verifier.Verify(host.EncodedAttestation, monitor.GetMeasurement(host.Domain), new byte[32]));
    }

    [Fact]
    public async Task A_signature_made_in_the_domain_checks_and_a_tampered_message_does_not()
    {
        await using var host = TailGuardDomainBoundary.Host(new TailGuardDomainService(), new TrustDomainHostOptions());
        byte[] signature = new byte[32];

        Assert.Equal(32, host.Proxy.Sign("message"u8, signature));
        Assert.True(host.Proxy.Check("message"u8, signature));
        Assert.False(host.Proxy.Check("massage"u8, signature));
    }

    [Fact]
    public async Task The_host_cannot_read_the_domains_private_memory()
    {
        using var monitor = new SimulatedMonitor();
        await using var host = TailGuardDomainBoundary.Host(new TailGuardDomainService(), new TrustDomainHostOptions { Monitor = monitor });

        var denied = Assert.Throws<MonitorException>(() => monitor.HostRead(host.Region.PrivateAddress, new byte[64]));
        Assert.Equal(MonitorError.AccessDenied, denied.Error);
    }
}
