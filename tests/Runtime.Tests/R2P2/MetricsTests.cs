using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>The "TailGuard.R2P2" meter reports what clients and servers count, so standard tooling sees it.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task The_meter_publishes_requests_responses_drops_malformed_datagrams_and_timeouts()
    {
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "TailGuard.R2P2")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        listener.Start();

        var network = new InMemoryNetwork();
        using (var server = new R2P2Server(network.Bind("10.0.0.1:1"), new EchoHandler()))
        using (var refusing = new R2P2Server(network.Bind("10.0.0.1:2"), new EchoHandler(), new R2P2ServerOptions { AdmissionPolicy = new MaxInFlightAdmissionPolicy(0) }))
        using (var client = new R2P2Client(network.Bind("10.0.0.2:0"), server.LocalAddress))
        using (var refused = new R2P2Client(network.Bind("10.0.0.3:0"), refusing.LocalAddress))
        using (var unanswered = new R2P2Client(network.Bind("10.0.0.4:0"), PacketAddress.Parse("10.9.9.9:9"), new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(50) }))
        {
            using (await client.CallAsync("m"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous))
            {
            }

            await Assert.ThrowsAsync<R2P2DroppedException>(() => refused.CallAsync("m"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => unanswered.CallAsync("m"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous));
            var raw = network.Bind("10.0.0.5:0");
            raw.Send([new PacketBuffer(4) { Length = 4, Address = server.LocalAddress }]);
            var deadline = DateTime.UtcNow + Payloads.Generous;
            while (server.Statistics.MalformedDatagrams == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }

            raw.Dispose();
        }

        foreach (var name in new[]
        {
            "tailguard.r2p2.client.requests", "tailguard.r2p2.client.responses", "tailguard.r2p2.client.drops",
            "tailguard.r2p2.client.timeouts", "tailguard.r2p2.server.requests", "tailguard.r2p2.server.responses",
            "tailguard.r2p2.server.drops", "tailguard.r2p2.server.malformed_datagrams",
        })
        {
            Assert.True(totals.GetValueOrDefault(name) >= 1, $"{name} was not measured");
        }
    }
}
