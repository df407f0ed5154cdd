using System;
using TailGuard.Boundary.Tests.Contracts;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// A call allocates nothing in steady state, proxy and entry together. In the simulated monitor the domain runs on the
/// calling thread (the thread plays the core during the switch), so this thread's counter covers both sides.
/// </summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class AllocationTests
{
    [Fact]
    public void A_small_call_with_scalars_and_a_64_byte_input_allocates_nothing_on_either_side()
    {
        using var kit = new ProbeKit();
        IProbe proxy = kit.Proxy;
        byte[] input = new byte[64];
        input.AsSpan().Fill(1);
        long total = 0;
        long calls = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            total += proxy.Add(1, 2, input);
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(67L * calls, total);
        Assert.Equal(calls, kit.Probe.Calls);
    }

    [Fact]
    public void Out_in_out_typed_span_and_by_value_struct_calls_allocate_nothing()
    {
        using var kit = new ProbeKit();
        IProbe proxy = kit.Proxy;
        byte[] output = new byte[128];
        byte[] buffer = new byte[64];
        int[] values = [1, 2, 3, 4, 5, 6, 7, 8];
        var point = new Point(3, 4);
        long total = 0;
        long calls = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            total += Round(proxy, output, buffer, values, point);
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal((36L + 7 + 1) * calls, total);
    }

    [Fact]
    public void A_call_through_a_domain_on_several_cores_picks_its_core_without_allocating()
    {
        using var monitor = new Tyche.Simulation.SimulatedMonitor(new Tyche.Simulation.SimulatedMonitorOptions { CoreCount = 4 });
        var mixer = new Mixer();
        using TrustDomainHost<IMixer> host = MixerBoundary.Host(mixer, new TrustDomainHostOptions { Monitor = monitor, CoreCount = 3 });
        IMixer proxy = host.Proxy;
        byte[] data = new byte[64];
        byte[] digest = new byte[64];
        data.AsSpan().Fill(2);
        long calls = 0;
        long wrong = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            wrong += proxy.Mix(1, 7, data, digest) == Mixer.Expected(1, 7, 128) ? 0 : 1;
            calls++;
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(0, wrong);
        Assert.Equal(calls, mixer.Calls);
    }

    private static long Round(IProbe proxy, byte[] output, byte[] buffer, int[] values, Point point)
    {
        proxy.Fill(7, 1, output);
        proxy.Reverse(buffer);
        proxy.Ping();
        bool flipped = proxy.Describe(false, Mode.Plain, point, 'x', 1.5);
        return proxy.Sum(values) + output[0] + (flipped ? 1 : 0);
    }
}
