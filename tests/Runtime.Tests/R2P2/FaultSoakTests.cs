using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>
/// Thousands of single- and multi-packet calls over a network that loses, duplicates and reorders 5% of datagrams:
/// every call ends exactly once, no wrong payload is ever delivered, and nothing stays pending.
/// </summary>
public sealed class FaultSoakTests
{
    private const int Calls = 3_000;
    private const int Concurrency = 32;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Every_call_ends_once_with_an_intact_payload_or_an_error_and_nothing_stays_pending(int seed)
    {
        var faults = new NetworkFaults { LossRate = 0.05, DuplicationRate = 0.05, ReorderRate = 0.05, ReorderWindow = TimeSpan.FromMilliseconds(1) };
        var network = new InMemoryNetwork(seed, faults, inboxCapacity: 16_384);
        var handler = new EchoHandler();
        var serverOptions = new R2P2ServerOptions { ReassemblyTimeout = TimeSpan.FromMilliseconds(300) };
        using var server = new R2P2Server(network.Bind("10.0.0.1:9000"), handler, serverOptions);
        using var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(150) });
        var random = new Random(seed);
        var sizes = Enumerable.Range(0, Calls).Select(i => i % 4 == 0 ? random.Next(1465, 6000) : random.Next(0, 1465)).ToArray();
        var outcomes = new ConcurrentDictionary<string, int>();
        var ended = 0;

        // Concurrency workers, each making its share of calls one after another.
        var workers = Enumerable.Range(0, Concurrency).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; i < Calls; i += Concurrency)
            {
                var payload = Payloads.Make(sizes[i], tag: i);
                string outcome;
                try
                {
                    using var response = await client.CallAsync(payload);
                    Assert.Equal(payload, Payloads.ToArray(response.Payload));
                    outcome = "response";
                }
                catch (R2P2Exception error)
                {
                    outcome = error.GetType().Name;
                }

                outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                Interlocked.Increment(ref ended);
            }
        }));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120));
        var delivered = ended;

        var stats = client.Statistics;
        Assert.Equal(Calls, delivered);
        Assert.Equal(Calls, stats.Requests);
        Assert.Equal(Calls, stats.Responses + stats.Timeouts + stats.Drops + stats.MalformedResponses);
        Assert.Equal(stats.Responses, outcomes.GetValueOrDefault("response"));
        Assert.Equal(stats.Timeouts, outcomes.GetValueOrDefault(nameof(R2P2TimeoutException)));
        Assert.True(stats.Responses > Calls * 0.7, $"only {stats.Responses} responses");
        Assert.True(network.DatagramsLost > 0 && network.DatagramsDuplicated > 0);
        Assert.Equal(0, client.InFlightCount);
        Assert.Equal(0, server.PendingReassembliesEventually(0));
    }
}
