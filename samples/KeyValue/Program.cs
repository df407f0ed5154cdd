using System;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Samples;
using TailGuard.Samples.KeyValue;

// An in-memory key-value store served over R2P2 by the generated KeyValueDispatcher, and a mixed get/put workload
// through the generated KeyValueClient. `dotnet run --project samples/KeyValue` runs both on UDP loopback and exits.
const string Usage = """
    usage:
      KeyValue [run] [--operations N] [--concurrency N] [--get-fraction F] [--keys N] [--value-size BYTES] [--seed N]
                     [--server HOST:PORT] [--timeout-ms MS]
          a server on UDP loopback in this process (or the one at --server) and a mixed workload against it; prints
          throughput and latency percentiles, then exits. At most min(--keys, --operations) puts preload the store.
          Calls time out after --timeout-ms; three timeouts in a row end the run (exit 1).
          defaults: --operations 100000 --concurrency 4 --get-fraction 0.9 --keys 1000 --value-size 64 --seed 1
                    --timeout-ms 2000
      KeyValue serve [--port P]
          only the server, on 127.0.0.1:P (default 9100), until Ctrl+C.
      KeyValue --help
    exit codes: 0 done, 1 a failure (socket error, no answer, failed calls), 2 bad arguments.
    """;
string[] runOptions = ["--operations", "--concurrency", "--get-fraction", "--keys", "--value-size", "--seed", "--server", "--timeout-ms"];

return await SampleMain.RunAsync("KeyValue", () =>
{
    string command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
    ReadOnlySpan<string> options = args.Length > 0 && !args[0].StartsWith('-') ? args.AsSpan(1) : args;
    return command switch
    {
        "run" => RunAsync(CommandLine.Parse("run", options, runOptions)),
        "serve" => Task.FromResult(Serve(CommandLine.Parse("serve", options, ["--port"]))),
        "help" => Task.FromResult(SampleMain.Help(Usage)),
        _ => throw new UsageException($"unknown command '{command}' (commands: run, serve, help)."),
    };
});

async Task<int> RunAsync(CommandLine line)
{
    if (line.Help)
    {
        return SampleMain.Help(Usage);
    }

    var workload = new WorkloadOptions(
        Operations: line.Int("--operations", 100_000, 1, 100_000_000),
        Concurrency: line.Int("--concurrency", 4, 1, 1024),
        GetFraction: line.Double("--get-fraction", 0.9, 0, 1),
        Keys: line.Int("--keys", 1000, 1, 10_000_000),
        ValueBytes: line.Int("--value-size", 64, 0, KeyValueStore.MaxValueBytes),
        Seed: line.Int("--seed", 1, 0, int.MaxValue));
    var timeout = TimeSpan.FromMilliseconds(line.Int("--timeout-ms", 2000, 1, 600_000));
    PacketAddress? remote = line.Address("--server");

    R2P2Server? server = null;
    PacketAddress target;
    if (remote is null)
    {
        server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new KeyValueDispatcher(new KeyValueStore()));
        target = server.LocalAddress;
        Console.WriteLine($"KeyValue server on {target} (UDP loopback, one receive loop, generated KeyValueDispatcher)");
    }
    else
    {
        target = remote.Value;
    }

    // Continuations run on the client's receive thread (run to completion, like the server): each call then completes
    // without a thread-pool hop, which is also what keeps a call allocation-free end to end.
    try
    {
        await using var r2p2 = new R2P2Client(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), target, new R2P2ClientOptions { Timeout = timeout, RunContinuationsAsynchronously = false });
        var client = new KeyValueClient(r2p2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workload: {workload.Operations} operations, {workload.Concurrency} callers, {workload.GetFraction:P0} gets, {workload.Keys} keys, {workload.ValueBytes}-byte values"));

        WorkloadReport report = await Workload.RunAsync(client, workload, new ConsecutiveTimeouts(target, timeout));

        Console.WriteLine(report.Format());
        Console.WriteLine($"keys stored {await client.CountAsync()}");
        return report.Errors == 0 ? 0 : 1;
    }
    finally
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

int Serve(CommandLine line)
{
    if (line.Help)
    {
        return SampleMain.Help(Usage);
    }

    int port = line.Int("--port", 9100, 1, 65535);
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, port), new KeyValueDispatcher(new KeyValueStore()));
    Console.WriteLine($"KeyValue server on {server.LocalAddress}; Ctrl+C stops");
    stop.Token.WaitHandle.WaitOne();
    Console.WriteLine($"served {server.Statistics.Responses} responses");
    return 0;
}
