using System;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Threading.Tasks;
using TailGuard.Boundary;
using TailGuard.R2P2;
using TailGuard.Samples.ConfidentialKeyValue;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

// A confidential key-value store: an R2P2 front end (the generated ConfidentialStoreDispatcher on UDP loopback) whose
// handler keeps only AES-GCM-sealed values; the sealing key lives in a trust domain on the simulated Tyche monitor,
// reached through the generated SealerProxy. `dotnet run --project samples/ConfidentialKeyValue` runs it all and exits.
const string Usage = """
    usage: ConfidentialKeyValue [--operations N] [--concurrency N] [--get-fraction F] [--keys N] [--value-size BYTES] [--seed N]
      defaults: --operations 200000 --concurrency 4 --get-fraction 0.9 --keys 1000 --value-size 64 --seed 1
    """;

try
{
    return await RunAsync(args);
}
catch (Exception error) when (error is ArgumentException or FormatException)
{
    Console.Error.WriteLine("ConfidentialKeyValue: " + error.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

static async Task<int> RunAsync(string[] args)
{
    if (args is ["help" or "--help" or "-h", ..])
    {
        Console.WriteLine(Usage);
        return 0;
    }

    var workload = new WorkloadOptions(
        Operations: Option(args, "--operations", 200_000, 1, 100_000_000),
        Concurrency: Option(args, "--concurrency", 4, 1, 1024),
        GetFraction: double.Parse(Value(args, "--get-fraction") ?? "0.9", CultureInfo.InvariantCulture),
        Keys: Option(args, "--keys", 1000, 1, 1_000_000),
        ValueBytes: Option(args, "--value-size", 64, 0, Limits.MaxValueBytes),
        Seed: Option(args, "--seed", 1, 0, int.MaxValue));
    if (workload.GetFraction is < 0 or > 1)
    {
        throw new ArgumentException("--get-fraction must be between 0 and 1");
    }

    // 1. The trust domain: the sealing key is created inside it; the host gets a proxy and a signed attestation.
    using var monitor = new SimulatedMonitor();
    byte[] nonce = RandomNumberGenerator.GetBytes(32);
    using var sealer = new Sealer();
    await using TrustDomainHost<ISealer> domain = SealerBoundary.Host(sealer, new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce });
    using (var verifier = new AttestationVerifier(monitor.ExportPublicKey()))
    {
        bool verified = verifier.Verify(domain.EncodedAttestation, monitor.GetMeasurement(domain.Domain), nonce);
        Console.WriteLine($"trust domain {domain.Attestation.DomainId} sealed on the {monitor.BackendName} monitor; it holds the AES-256-GCM key");
        Console.WriteLine($"  measurement {Convert.ToHexString(domain.Attestation.Measurement.Span)}");
        Console.WriteLine($"  attestation report verifies (monitor signature, measurement, our nonce): {verified}");
        if (!verified)
        {
            return 1;
        }
    }

    // 2. The R2P2 server: one receive loop runs the generated dispatcher over the sealed store.
    var store = new SealedStore(domain.Proxy);
    await using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new ConfidentialStoreDispatcher(store));
    Console.WriteLine($"R2P2 server on {server.LocalAddress} (UDP loopback, generated ConfidentialStoreDispatcher)");

    // 3. The client workload. Continuations run on the client's receive thread (run to completion, like the server).
    await using var r2p2 = new R2P2Client(
        UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)),
        server.LocalAddress,
        new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(2), RunContinuationsAsynchronously = false });
    var client = new ConfidentialStoreClient(r2p2);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workload: {workload.Operations} operations, {workload.Concurrency} callers, {workload.GetFraction:P0} gets, {workload.Keys} keys, {workload.ValueBytes}-byte values"));

    WorkloadReport report = await Workload.RunAsync(client, workload);
    Console.WriteLine(report.Format());

    // 4. What rests in the store: nonce, tag and ciphertext, never the value.
    int count = await client.CountAsync();
    ReadOnlySpan<byte> atRest = store.SealedValue("key-000000"u8);
    Console.WriteLine($"keys stored {count}; at rest under key-000000: {Convert.ToHexString(atRest[..Math.Min(atRest.Length, 32)])}... ({atRest.Length} bytes)");
    Console.WriteLine($"domain calls answered {domain.Counters.Completed}, refused {domain.Counters.Refused}");
    Console.WriteLine(report.Errors == 0 && report.Mismatches == 0 ? "result: ok" : "result: FAILED");
    return report.Errors == 0 && report.Mismatches == 0 ? 0 : 1;
}

static string? Value(string[] args, string name)
{
    int index = Array.IndexOf(args, name);
    if (index < 0)
    {
        return null;
    }

    return index + 1 < args.Length ? args[index + 1] : throw new ArgumentException(name + " needs a value");
}

static int Option(string[] args, string name, int fallback, int min, int max)
{
    string? text = Value(args, name);
    int value = text is null ? fallback : int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
    return value >= min && value <= max ? value : throw new ArgumentException($"{name} must be between {min} and {max}");
}
