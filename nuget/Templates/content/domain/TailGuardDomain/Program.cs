using System.Security.Cryptography;
using TailGuard.Boundary;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;
using TailGuardDomain;

// Hosts the domain on the simulated Tyche monitor (no privileges needed), checks its attestation, calls it.
// It takes no arguments but --help; anything else exits 2 with one line on standard error.
if (args is ["--help" or "-h"])
{
    Console.WriteLine("usage: TailGuardDomain [--help]\n  hosts the domain on the simulated Tyche monitor, verifies its attestation, calls it, exits (0 when every check held).");
    return 0;
}

if (args.Length > 0)
{
    Console.Error.WriteLine($"TailGuardDomain: unexpected argument '{args[0]}'. Run with --help for the usage.");
    return 2;
}

using var monitor = new SimulatedMonitor();
byte[] nonce = RandomNumberGenerator.GetBytes(32);
await using TrustDomainHost<ITailGuardDomain> host = TailGuardDomainBoundary.Host(
    new TailGuardDomainService(),
    new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce });

using (var verifier = new AttestationVerifier(monitor.ExportPublicKey()))
{
    bool verified = verifier.Verify(host.EncodedAttestation, monitor.GetMeasurement(host.Domain), nonce);
    Console.WriteLine($"domain measurement {Convert.ToHexString(host.Attestation.Measurement.Span)}; attestation verifies: {verified}");
    if (!verified)
    {
        return 1;
    }
}

byte[] message = "hello from the host"u8.ToArray();
byte[] signature = new byte[32];
host.Proxy.Sign(message, signature);
Console.WriteLine($"signature {Convert.ToHexString(signature)}; checks: {host.Proxy.Check(message, signature)}");
return 0;
