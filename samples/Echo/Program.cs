using System;
using System.Buffers;
using System.Diagnostics;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Samples.Echo;

// The R2P2 echo, as small as the API allows: a server whose response equals its request, and a client calling it on
// UDP loopback in the same process. To serve, ping or load from the command line, use the tailguard tool
// (src/Tool, `tailguard serve`, `tailguard ping`, `tailguard load`).
if (args is ["--help" or "-h"])
{
    Console.WriteLine("usage: Echo [demo]\n  an R2P2 echo server and a client on UDP loopback, in one process: a few calls, then round-trip percentiles.\n  For servers, pings and load tests use the tailguard tool: tailguard serve | ping | load (tailguard --help).");
    return 0;
}

if (args is not ([] or ["demo"]))
{
    Console.Error.WriteLine($"Echo: unknown argument '{args[0]}' (this sample only runs its demo; try --help).");
    return 2;
}

// A server on an ephemeral loopback port; its one receive loop answers each request with EchoHandler.
using var server = R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler());
await using var client = R2P2Client.CreateUdp(server.LocalAddress.ToEndPoint());
Console.WriteLine($"R2P2 echo server on {server.LocalAddress}; the client calls it from {client.LocalAddress}.");

// One small call (one packet each way) and one large (split into several packets, with R2P2's handshake).
var mismatches = 0;
foreach (var size in new[] { 64, 3_000 })
{
    var payload = new byte[size];
    Random.Shared.NextBytes(payload);
    using var response = await client.CallAsync(payload);
    var echoed = response.Payload.ToArray().AsSpan().SequenceEqual(payload);
    mismatches += echoed ? 0 : 1;
    Console.WriteLine($"{size} B: {(echoed ? "echoed intact" : "WRONG ECHO")}");
}

// A few thousand calls, one at a time, timed: a closed loop (tailguard load measures open-loop, as it should be).
var request = new byte[64];
var rounds = new double[3_000];
for (var i = 0; i < rounds.Length; i++)
{
    var start = Stopwatch.GetTimestamp();
    using var response = await client.CallAsync(request);
    rounds[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    mismatches += response.Payload.Length == request.Length ? 0 : 1;
}

Array.Sort(rounds);
Console.WriteLine($"{rounds.Length} calls of 64 B: p50 {rounds[rounds.Length / 2]:0.0} us, p99 {rounds[rounds.Length * 99 / 100]:0.0} us");
var stats = server.Statistics;
Console.WriteLine($"server: {stats.Requests} requests, {stats.Responses} responses, {stats.Drops} drops");
Console.WriteLine(mismatches == 0 ? "every echo matched its request." : $"{mismatches} echoes did not match.");
return mismatches == 0 ? 0 : 1;
