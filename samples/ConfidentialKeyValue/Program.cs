using System;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Boundary;
using TailGuard.R2P2;
using TailGuard.Samples;
using TailGuard.Samples.ConfidentialKeyValue;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

// A confidential key-value store: an R2P2 front end (the generated ConfidentialStoreDispatcher on UDP loopback) whose
// handler keeps only AES-GCM-sealed values; the sealing key lives in a trust domain on the simulated Tyche monitor,
// reached through the generated SealerProxy. `dotnet run --project samples/ConfidentialKeyValue` runs it all and exits.
const string Usage = """
    usage: ConfidentialKeyValue [--operations N] [--concurrency N] [--get-fraction F] [--keys N] [--value-size BYTES] [--seed N]
                                [--timeout-ms MS] [--loops N] [--client-spin-us US] [--server-spin-us US]
      runs the sealing domain, the R2P2 server and a checked workload in this process, prints the results, exits.
      The store is preloaded with min(--keys, --operations) keys. Calls time out after --timeout-ms; three timeouts in a
      row end the run. --loops (1 to 4) sets the server's receive loops and the domain's cores (one per loop).
      --client-spin-us and --server-spin-us (0 to 1000) set how long the clients' and the server's receive loops spin
      after each datagram before they block (0: block at once); on a machine with few cores, spinning clients take the
      server's cores (benchmarks/scripts/trust-demo-threads.sh shows where the CPU goes).
      defaults: --operations 200000 --concurrency 4 --get-fraction 0.9 --keys 1000 --value-size 64 --seed 1 --timeout-ms 2000
                --loops 2 (1 where the operating system has no SO_REUSEPORT: not Linux) --client-spin-us 50 --server-spin-us 50
    exit codes: 0 every get read back what was put, 1 a failure (socket error, no answer, failed or wrong calls), 2 bad arguments.
    """;

return await SampleMain.RunAsync("ConfidentialKeyValue", () => RunAsync(CommandLine.Parse(
    null, args, ["--operations", "--concurrency", "--get-fraction", "--keys", "--value-size", "--seed", "--timeout-ms", "--loops", "--client-spin-us", "--server-spin-us"])));

static async Task<int> RunAsync(CommandLine line)
{
    if (line.Help)
    {
        return SampleMain.Help(Usage);
    }

    var workload = new WorkloadOptions(
        Operations: line.Int("--operations", 200_000, 1, 100_000_000),
        Concurrency: line.Int("--concurrency", 4, 1, 1024),
        GetFraction: line.Double("--get-fraction", 0.9, 0, 1),
        Keys: line.Int("--keys", 1000, 1, 1_000_000),
        ValueBytes: line.Int("--value-size", 64, 0, Limits.MaxValueBytes),
        Seed: line.Int("--seed", 1, 0, int.MaxValue));
    var timeout = TimeSpan.FromMilliseconds(line.Int("--timeout-ms", 2000, 1, 600_000));
    // A core of the domain per receive loop of the server (below): each loop calls the domain on its own core.
    int loops = line.Int("--loops", OperatingSystem.IsLinux() ? 2 : 1, 1, OperatingSystem.IsLinux() ? 4 : 1); // the simulated monitor has 4 cores
    TimeSpan clientSpin = TimeSpan.FromMicroseconds(line.Int("--client-spin-us", 50, 0, 1000));
    TimeSpan serverSpin = TimeSpan.FromMicroseconds(line.Int("--server-spin-us", 50, 0, 1000));

    // 1. The trust domain: the sealing key is created inside it; the host gets a proxy and a signed attestation.
    using var monitor = new SimulatedMonitor();
    byte[] nonce = RandomNumberGenerator.GetBytes(32);
    using var sealer = new Sealer();
    await using TrustDomainHost<ISealer> domain = SealerBoundary.Host(sealer, new TrustDomainHostOptions { Monitor = monitor, Nonce = nonce, CoreCount = loops });
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

    // 2. The R2P2 server: two receive loops (one socket each, SO_REUSEPORT; one on systems without it) run the generated
    //    dispatcher over the sealed store, each calling the domain through the proxy, which picks the loop's core.
    var store = new SealedStore(domain.Proxy);
    await using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new ConfidentialStoreDispatcher(store), new R2P2ServerOptions { SpinBudget = serverSpin }, receiveLoops: loops);
    Console.WriteLine($"R2P2 server on {server.LocalAddress} (UDP loopback, generated ConfidentialStoreDispatcher), {loops} receive loop{(loops == 1 ? "" : "s")}, {domain.Cores.Count} domain core{(domain.Cores.Count == 1 ? "" : "s")}");

    // 3. The client workload. Continuations run on the client's receive thread (run to completion, like the server).
    //    Several clients, each its own socket: the kernel spreads sockets (not requests) over the server's receive loops.
    var clients = new ConfidentialStoreClient[Math.Min(workload.Concurrency, 2 * loops)];
    var transports = new R2P2Client[clients.Length];
    for (int index = 0; index < clients.Length; index++)
    {
        transports[index] = new R2P2Client(
            UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)),
            server.LocalAddress,
            new R2P2ClientOptions { Timeout = timeout, RunContinuationsAsynchronously = false, SpinBudget = clientSpin });
        clients[index] = new ConfidentialStoreClient(transports[index]);
    }

    await using var disposeClients = new DisposeAll(transports);
    var client = clients[0];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workload: {workload.Operations} operations, {workload.Concurrency} callers, {workload.GetFraction:P0} gets, {workload.Keys} keys, {workload.ValueBytes}-byte values"));

    long contentions = Monitor.LockContentionCount;
    WorkloadReport report = await Workload.RunAsync(clients, workload, new ConsecutiveTimeouts(server.LocalAddress, timeout));
    Console.WriteLine(report.Format());

    // Threads that found a lock taken during the workload (the simulated monitor has one lock; every domain call takes it).
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  lock contentions {Monitor.LockContentionCount - contentions} (Monitor.LockContentionCount during the workload)"));

    // 4. What rests in the store: nonce, tag and ciphertext, never the value.
    int count = await client.CountAsync();
    ReadOnlySpan<byte> atRest = store.SealedValue("key-000000"u8);
    Console.WriteLine($"keys stored {count}; at rest under key-000000: {Convert.ToHexString(atRest[..Math.Min(atRest.Length, 32)])}... ({atRest.Length} bytes)");
    Console.WriteLine($"domain calls answered {domain.Counters.Completed}, refused {domain.Counters.Refused}");
    Console.WriteLine(report.Errors == 0 && report.Mismatches == 0 ? "result: ok" : "result: FAILED");
    return report.Errors == 0 && report.Mismatches == 0 ? 0 : 1;
}

/// <summary>Disposes every client at the end of the run.</summary>
internal sealed class DisposeAll(R2P2Client[] clients) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        foreach (R2P2Client client in clients)
        {
            await client.DisposeAsync();
        }
    }
}
