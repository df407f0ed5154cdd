using System;
using System.Security.Cryptography;
using System.Threading.Tasks;
using TailGuard.Boundary;
using TailGuard.Samples;
using TailGuard.Samples.Vault;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

// The vault: a signing key and a password verifier in a trust domain on the simulated Tyche monitor. The host calls it
// through the generated proxy, checks its attestation, and fails to read its private memory. Run
// `dotnet run --project samples/Vault`; it exits by itself.
const string Usage = """
    usage: Vault [--help]
      hosts the vault domain on the simulated Tyche monitor, verifies its attestation, calls it, shows that the host
      cannot read the domain's private memory and that a hand-crafted hostile frame is refused, then exits.
    exit codes: 0 every check held, 1 a check failed, 2 bad arguments.
    """;

return await SampleMain.RunAsync("Vault", () => Task.FromResult(CommandLine.Parse(null, args, []).Help ? SampleMain.Help(Usage) : Run()));

static int Run()
{
    using var monitor = new SimulatedMonitor();
    byte[] nonce = RandomNumberGenerator.GetBytes(32);
    using TrustDomainHost<IVault> host = VaultBoundary.Host(
        new Vault("correct horse battery staple"u8),
        new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce });

    // 1. Attestation: the monitor signed the domain's measurement and our nonce.
    using (var verifier = new AttestationVerifier(monitor.ExportPublicKey()))
    {
        bool genuine = verifier.Verify(host.EncodedAttestation, monitor.GetMeasurement(host.Domain), nonce);
        Console.WriteLine($"domain {host.Attestation.DomainId} sealed on the {monitor.BackendName} monitor");
        Console.WriteLine($"  measurement {Convert.ToHexString(host.Attestation.Measurement.Span)}");
        Console.WriteLine($"  attestation signature valid for our nonce: {genuine}");
        if (!genuine)
        {
            return 1;
        }
    }

    // 2. Calls through the proxy: the key and the password hash stay inside.
    IVault vault = host.Proxy;
    byte[] message = "pay 100 CHF to Alice"u8.ToArray();
    byte[] signature = new byte[32];
    int written = vault.Sign(message, signature);
    Console.WriteLine($"signature ({written} bytes): {Convert.ToHexString(signature)}");
    Console.WriteLine($"  checks: {vault.Check(message, signature)}; tampered message checks: {vault.Check("pay 900 CHF to Mallory"u8, signature)}");
    Console.WriteLine($"password 'hunter2': {vault.Verify("hunter2"u8)}; the right one: {vault.Verify("correct horse battery staple"u8)}");

    // 3. The host tries to read the domain's private memory (where the call frames and buffers were copied).
    try
    {
        monitor.HostRead(host.Region.PrivateAddress, new byte[64]);
        Console.WriteLine("the host read the domain's private memory: isolation is broken");
        return 1;
    }
    catch (MonitorException denied) when (denied.Error == MonitorError.AccessDenied)
    {
        Console.WriteLine($"host read of the domain's private memory at 0x{host.Region.PrivateAddress:X}: refused ({denied.Error})");
    }

    // 4. A hostile host bypasses the proxy and writes a frame whose buffer points past the shared region.
    byte[] frame = new byte[VaultBoundary.Layout.FrameSize];
    BitConverter.TryWriteBytes(frame.AsSpan(CallFrame.MethodIdOffset), 3u); // Verify
    BitConverter.TryWriteBytes(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
    BitConverter.TryWriteBytes(frame.AsSpan(VaultBoundary.M3_password), 0xFFFF_FF00u); // the password's offset
    BitConverter.TryWriteBytes(frame.AsSpan(VaultBoundary.M3_password + 4), 128u);     // and length
    monitor.HostWrite(host.Region.SharedAddress, frame);
    monitor.Transition(host.Domain, host.Core, 0);
    byte[] status = new byte[4];
    monitor.HostRead(host.Region.SharedAddress + CallFrame.StatusOffset, status);
    Console.WriteLine($"hand-crafted frame with an out-of-region buffer: {(CallStatus)BitConverter.ToInt32(status)}");

    Console.WriteLine($"calls answered {host.Counters.Completed}, refused {host.Counters.Refused}; disposing revokes the domain");
    return 0;
}
