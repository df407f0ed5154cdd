using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Boundary;
using TailGuard.Diagnostics;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;

namespace TailGuard.Hosting.Tests;

/// <summary>
/// With metrics listened to (every TailGuard.R2P2 instrument) and a trace listener attached that does not sample,
/// calls through a generated client and dispatcher still allocate nothing: measurements use pre-built tag lists and
/// no span is created. Counted on both receive loops, where the calls run (continuations inline).
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class TelemetryAllocationTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromMinutes(2);

    [Fact]
    public void Calls_allocate_nothing_with_metrics_listened_to_and_a_trace_listener_that_does_not_sample()
    {
        long histogramRecords = 0, counterTotal = 0, sampleQuestions = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TailGuardTelemetry.R2P2MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref histogramRecords));
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref counterTotal, value));
        meters.Start();
        using var traces = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TailGuardTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) =>
            {
                Interlocked.Increment(ref sampleQuestions);
                return ActivitySamplingResult.None;
            },
        };
        ActivitySource.AddActivityListener(traces);

        var network = new InMemoryNetwork();
        using var server = new R2P2Server(network.Bind("10.1.0.1:1"), new CalculatorDispatcher(new Calculator()));
        using var client = new R2P2Client(network.Bind("10.1.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = s_generous, RunContinuationsAsynchronously = false });
        var calculator = new CalculatorClient(client);

        async Task Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                if (await calculator.AddAsync(i, 1) != i + 1)
                {
                    throw new InvalidOperationException("wrong sum");
                }
            }
        }

        void RunToEnd(int count)
        {
            var run = Task.Run(() => Run(count));
            Assert.True(SpinWait.SpinUntil(() => run.IsCompleted, s_generous), "the calls did not finish");
            run.GetAwaiter().GetResult();
        }

        var report = AllocationWindows.Measure(RunToEnd, () => Settled(client, server), warmUpCalls: 10_000);

        var calls = 10_000 + (report.WindowBytes.Length * (long)report.CallsPerWindow);
        Assert.Equal(calls, server.Statistics.Responses);
        // The listeners were really attached: one client and one server duration per call, and a sampling question per span.
        Assert.True(Interlocked.Read(ref histogramRecords) >= 2 * calls, $"{histogramRecords} duration records for {calls} calls");
        Assert.True(Interlocked.Read(ref counterTotal) > 0);
        Assert.True(Interlocked.Read(ref sampleQuestions) >= 2 * calls, $"{sampleQuestions} sampling questions for {calls} calls");
        report.AssertNoPerCallAllocation();
    }

    [Fact]
    public void Domain_calls_allocate_nothing_with_the_monitor_meter_listened_to_and_tagged_per_domain()
    {
        // A name no other test's domain has: the static meters are shared by every domain of the process.
        const string Name = "allocation-counter";
        long switches = 0, untagged = 0;
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name is TailGuardTelemetry.MonitorMeterName or TailGuardTelemetry.BoundaryMeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            bool named = false, identified = false;
            foreach (var tag in tags)
            {
                named |= tag.Key == "tailguard.domain" && Name.Equals(tag.Value);
                identified |= tag.Key == "tailguard.tyche.domain" && tag.Value is int;
            }

            if (instrument.Name == "tailguard.tyche.switches" && named)
            {
                Interlocked.Add(ref switches, value);
                Interlocked.Add(ref untagged, identified ? 0 : 1);
            }
        });
        meters.Start();

        using var domain = TrustDomainHost.Create<ICounter, CounterBoundary>(new Counter(), new TrustDomainHostOptions { Name = Name });
        var counter = domain.Proxy;
        long calls = 0;
        var report = AllocationWindows.OnThisThread(_ =>
        {
            counter.Increment(1);
            calls++;
        });

        // In the simulated monitor the domain runs on the calling thread: this thread's bytes cover the switch and its
        // tagged measurement. Every call switched into the domain once, and the listener saw it under the domain's tags.
        Assert.Equal(calls, Interlocked.Read(ref switches));
        Assert.Equal(0, Interlocked.Read(ref untagged));
        report.AssertNoPerCallAllocation();
    }

    private static long Settled(R2P2Client client, R2P2Server server)
    {
        var clientIterations = client.ReceiveLoopIterations;
        var serverIterations = server.ReceiveLoopIterations;
        var deadline = DateTime.UtcNow + s_generous;
        while ((client.ReceiveLoopIterations < clientIterations + 1 || server.ReceiveLoopIterations < serverIterations + 1) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        return client.ReceiveLoopAllocatedBytes + server.ReceiveLoopAllocatedBytes;
    }
}
