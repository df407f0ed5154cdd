using System;
using System.Collections.Generic;
using System.Net;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Samples.Echo;

// The R2P2 echo: a server whose response equals the request, a closed-loop ping that measures round trips, and a
// self-contained demo. Run `dotnet run --project samples/Echo -- demo`.
const string Usage = """
    usage:
      Echo serve --address 127.0.0.1 --port P [--router HOST:PORT] [--max-inflight N] [--busy-poll] [--loops N] [--raw-udp]
          an R2P2 echo server (or, with --raw-udp, a plain UDP echo) that runs until Ctrl+C.
          --router        send one FEEDBACK per response to this router
          --max-inflight  admit at most N requests at once; 0 refuses every request with DROP
          --busy-poll     spin on non-blocking receives instead of sleeping in the kernel
          --loops         receive loops (SO_REUSEPORT sockets, Linux) [1]
      Echo ping --address 127.0.0.1 [--port P] [--count N] [--size BYTES] [--busy-poll] [--raw-udp]
          a closed-loop client printing p50/p99/p99.9 round trips and bytes allocated per call.
          Without --port it starts its own echo server in this process. --raw-udp pings a plain UDP echo.
          --count [20000]  --size [64]
      Echo demo
          an R2P2 server and client on UDP loopback in one process: a few thousand calls, then percentiles.
    """;

try
{
    if (args.Length == 0)
    {
        throw new UsageException("Echo: a command is required.");
    }

    var rest = args.AsSpan(1);
    return args[0] switch
    {
        "serve" => Serve(new CommandLine("serve", rest, Set("--address", "--port", "--router", "--max-inflight", "--loops"), Set("--busy-poll", "--raw-udp"))),
        "ping" => await PingAsync(new CommandLine("ping", rest, Set("--address", "--port", "--count", "--size"), Set("--busy-poll", "--raw-udp"))),
        "demo" => await DemoAsync(new CommandLine("demo", rest, Set(), Set())),
        "--help" or "-h" or "help" => Help(),
        _ => throw new UsageException($"Echo: unknown command '{args[0]}'."),
    };
}
catch (UsageException error)
{
    Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

static int Help()
{
    Console.WriteLine(Usage);
    return 0;
}

static HashSet<string> Set(params string[] names) => new(names, StringComparer.Ordinal);

static int Serve(CommandLine line)
{
    if (!line.Has("--address") || !line.Has("--port"))
    {
        throw new UsageException("serve: --address and --port are required.");
    }

    var endPoint = new IPEndPoint(line.Address("--address", IPAddress.Loopback), line.Int("--port", 0, 1, 65535));
    var busyPoll = line.Has("--busy-poll");
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.Cancel();
    });

    if (line.Has("--raw-udp"))
    {
        using var transport = UdpTransport.Bind(endPoint);
        Console.WriteLine($"plain UDP echo on {transport.LocalAddress} ({(busyPoll ? "busy-poll" : "blocking")}); Ctrl+C or SIGTERM stops");
        RawUdp.Serve(transport, busyPoll, stop.Token);
        return 0;
    }

    var router = line.EndPoint("--router");
    var options = new R2P2ServerOptions
    {
        ReceiveMode = busyPoll ? ReceiveMode.BusyPoll : ReceiveMode.Blocking,
        RouterAddress = router is null ? null : PacketAddress.FromEndPoint(router),
        AdmissionPolicy = line.Has("--max-inflight") ? new MaxInFlightAdmissionPolicy(line.Int("--max-inflight", 0, 0, int.MaxValue)) : null,
    };
    using var server = R2P2Server.CreateUdp(endPoint, new EchoHandler(), options, line.Int("--loops", 1, 1, 64));
    Console.WriteLine($"R2P2 echo on {server.LocalAddress} ({(busyPoll ? "busy-poll" : "blocking")}{(router is null ? string.Empty : $", FEEDBACK to {router}")}); Ctrl+C or SIGTERM stops");
    stop.Token.WaitHandle.WaitOne();
    var stats = server.Statistics;
    Console.WriteLine($"served {stats.Responses} responses, {stats.Drops} drops, {stats.MalformedDatagrams} malformed datagrams");
    return 0;
}

static async Task<int> PingAsync(CommandLine line)
{
    var address = line.Address("--address", IPAddress.Loopback);
    var count = line.Int("--count", 20_000, 1, 100_000_000);
    var size = line.Int("--size", 64, 0, line.Has("--raw-udp") ? 65_507 : 1024 * 1024);
    var busyPoll = line.Has("--busy-poll");
    var raw = line.Has("--raw-udp");
    var mode = busyPoll ? "busy-poll" : "blocking";

    // Without --port, ping brings its own echo server (same discipline) so one command measures the machine.
    using var stop = new CancellationTokenSource();
    R2P2Server? server = null;
    Thread? rawEcho = null;
    UdpTransport? rawTransport = null;
    IPEndPoint target;
    if (line.Has("--port"))
    {
        target = new IPEndPoint(address, line.Int("--port", 0, 1, 65535));
    }
    else if (raw)
    {
        rawTransport = UdpTransport.Bind(new IPEndPoint(address, 0));
        var echoTransport = rawTransport;
        rawEcho = new Thread(() => RawUdp.Serve(echoTransport, busyPoll, stop.Token)) { IsBackground = true, Name = "raw UDP echo" };
        rawEcho.Start();
        target = rawTransport.LocalAddress.ToEndPoint();
    }
    else
    {
        server = R2P2Server.CreateUdp(new IPEndPoint(address, 0), new EchoHandler(), new R2P2ServerOptions { ReceiveMode = busyPoll ? ReceiveMode.BusyPoll : ReceiveMode.Blocking });
        target = server.LocalAddress.ToEndPoint();
    }

    try
    {
        var report = raw ? RawUdp.Ping(target, count, size, busyPoll) : await R2P2Ping.RunAsync(target, count, size, busyPoll, verify: false);
        Console.WriteLine(report.Format($"{(raw ? "raw UDP" : "R2P2")} {size} B {mode}"));
        return report.Count == 0 ? 1 : 0;
    }
    finally
    {
        stop.Cancel();
        rawEcho?.Join();
        rawTransport?.Dispose();
        server?.Dispose();
    }
}

static async Task<int> DemoAsync(CommandLine line)
{
    _ = line;
    using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler());
    var target = server.LocalAddress.ToEndPoint();
    Console.WriteLine($"R2P2 echo server on {server.LocalAddress}; a client on UDP loopback calls it (blocking receive loops).");

    var small = await R2P2Ping.RunAsync(target, 3_000, 64, busyPoll: false, verify: true);
    Console.WriteLine(small.Format("R2P2 64 B (1 packet)"));
    var large = await R2P2Ping.RunAsync(target, 500, 3_000, busyPoll: false, verify: true);
    Console.WriteLine(large.Format("R2P2 3000 B (4 + 3 packets)"));
    var raw = RawUdp.Ping(StartRawEcho(out var rawTransport, out var echoThread, out var stop), 3_000, 64, busyPoll: false);
    stop.Cancel();
    echoThread.Join();
    rawTransport.Dispose();
    stop.Dispose();
    Console.WriteLine(raw.Format("plain UDP 64 B, for comparison"));

    var stats = server.Statistics;
    Console.WriteLine($"server: {stats.Requests} requests, {stats.Responses} responses, {stats.Drops} drops, {stats.MalformedDatagrams} malformed datagrams");
    var ok = small.Errors == 0 && large.Errors == 0 && small.Count > 0 && large.Count > 0;
    Console.WriteLine(ok ? "demo: every echo matched its request." : "demo: some calls failed or returned the wrong payload.");
    return ok ? 0 : 1;
}

static IPEndPoint StartRawEcho(out UdpTransport transport, out Thread thread, out CancellationTokenSource stop)
{
    var echo = UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    var cancel = new CancellationTokenSource();
    thread = new Thread(() => RawUdp.Serve(echo, busyPoll: false, cancel.Token)) { IsBackground = true, Name = "raw UDP echo" };
    thread.Start();
    transport = echo;
    stop = cancel;
    return echo.LocalAddress.ToEndPoint();
}
