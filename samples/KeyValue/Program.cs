using System;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Samples.KeyValue;

// An in-memory key-value store served over R2P2 by the generated KeyValueDispatcher, and a mixed get/put workload
// through the generated KeyValueClient. `dotnet run --project samples/KeyValue` runs both on UDP loopback and exits.
const string Usage = """
    usage:
      KeyValue [run] [--operations N] [--concurrency N] [--get-fraction F] [--keys N] [--value-size BYTES] [--seed N] [--server HOST:PORT]
          a server on UDP loopback in this process (or the one at --server) and a mixed workload against it; prints
          throughput and latency percentiles, then exits.
          defaults: --operations 100000 --concurrency 4 --get-fraction 0.9 --keys 1000 --value-size 64 --seed 1
      KeyValue serve [--port P]
          only the server, on 127.0.0.1:P (default 9100), until Ctrl+C.
    """;

try
{
    string command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
    string[] options = command == "run" && (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) ? args : args[1..];
    return command switch
    {
        "run" => await RunAsync(options),
        "serve" => Serve(options),
        "help" or "--help" or "-h" => Help(),
        _ => throw new ArgumentException("unknown command '" + command + "'"),
    };
}
catch (Exception error) when (error is ArgumentException or FormatException)
{
    Console.Error.WriteLine("KeyValue: " + error.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

static int Help()
{
    Console.WriteLine(Usage);
    return 0;
}

static async Task<int> RunAsync(string[] args)
{
    var workload = new WorkloadOptions(
        Operations: Option(args, "--operations", 100_000, 1, 100_000_000),
        Concurrency: Option(args, "--concurrency", 4, 1, 1024),
        GetFraction: double.Parse(Value(args, "--get-fraction") ?? "0.9", CultureInfo.InvariantCulture),
        Keys: Option(args, "--keys", 1000, 1, 10_000_000),
        ValueBytes: Option(args, "--value-size", 64, 0, KeyValueStore.MaxValueBytes),
        Seed: Option(args, "--seed", 1, 0, int.MaxValue));
    if (workload.GetFraction is < 0 or > 1)
    {
        throw new ArgumentException("--get-fraction must be between 0 and 1");
    }

    string? serverText = Value(args, "--server");
    R2P2Server? server = null;
    PacketAddress target;
    if (serverText is null)
    {
        server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new KeyValueDispatcher(new KeyValueStore()));
        target = server.LocalAddress;
        Console.WriteLine($"KeyValue server on {target} (UDP loopback, one receive loop, generated KeyValueDispatcher)");
    }
    else
    {
        target = PacketAddress.Parse(serverText);
    }

    // Continuations run on the client's receive thread (run to completion, like the server): each call then completes
    // without a thread-pool hop, which is also what keeps a call allocation-free end to end.
    try
    {
        await using var r2p2 = new R2P2Client(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), target, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(2), RunContinuationsAsynchronously = false });
        var client = new KeyValueClient(r2p2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workload: {workload.Operations} operations, {workload.Concurrency} callers, {workload.GetFraction:P0} gets, {workload.Keys} keys, {workload.ValueBytes}-byte values"));

        WorkloadReport report = await Workload.RunAsync(client, workload);

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

static int Serve(string[] args)
{
    int port = Option(args, "--port", 9100, 1, 65535);
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
