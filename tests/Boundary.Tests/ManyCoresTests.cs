using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// A domain on several cores (TrustDomainHostOptions.CoreCount): one call region, frame and private scratch per core, a
/// core picked per call, concurrent callers never sharing a frame, and the simulated monitor running the domain's
/// per-core contexts at once while refusing a core it has no context on, or a core already in a switch.
/// </summary>
public sealed class ManyCoresTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Callers_on_as_many_threads_as_cores_are_inside_the_domain_at_once()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        var mixer = new Mixer();
        using TrustDomainHost<IMixer> host = MixerBoundary.Host(mixer, new TrustDomainHostOptions { Monitor = monitor, CoreCount = 4 });
        Assert.Equal([0, 1, 2, 3], host.Cores);

        int[] seen = ConcurrentMixing.RunOnThreads(4, _ => host.Proxy.Meet(4));

        // Each call waited inside the domain until all four were there: four cores' contexts ran the domain at once.
        Assert.All(seen, most => Assert.Equal(4, most));
        Assert.Equal(4, host.Counters.Completed);
        Assert.Equal(0, host.Counters.EntriesRefused);
    }

    [Fact]
    public void Thousands_of_concurrent_calls_with_an_attacker_rewriting_every_cores_input_are_each_their_own_and_consistent_or_rejected()
    {
        const int Threads = 3;
        const int CallsPerThread = 1500;
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = Threads });
        var mixer = new Mixer();
        using TrustDomainHost<IMixer> host = MixerBoundary.Host(mixer, new TrustDomainHostOptions { Monitor = monitor, CoreCount = Threads });
        int dataStart = MixerBoundary.Layout.FrameSize;
        int stride = (MixerBoundary.Layout.RegionSize + SimulatedMonitor.PageSize - 1) / SimulatedMonitor.PageSize * SimulatedMonitor.PageSize;

        // The attacker (host code outside the proxy) rewrites the input bytes of every core's call region, all the time.
        byte[] noise = new byte[64];
        long completed = ConcurrentMixing.UnderAttack(host.Proxy, Threads, CallsPerThread, (random, core) =>
        {
            random.NextBytes(noise);
            monitor.HostWrite(host.Region.SharedAddress + (ulong)(core * stride) + (ulong)dataStart, noise);
        });

        Assert.Equal(completed, host.Counters.Completed);
        Assert.Equal(0, host.Counters.EntriesRefused);
    }

    [Fact]
    public async Task A_proxy_bound_to_one_core_refuses_a_second_concurrent_call_while_the_pool_proxy_takes_a_free_core()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        var mixer = new Mixer();
        using TrustDomainHost<IMixer> host = MixerBoundary.Host(mixer, new TrustDomainHostOptions { Monitor = monitor, Core = 1, CoreCount = 2 });
        Assert.Equal([1, 2], host.Cores);
        Assert.Equal(1, host.Core);
        Assert.Throws<ArgumentOutOfRangeException>(() => host.ProxyOn(0));

        Task<int> held = Task.Factory.StartNew(() => host.ProxyOn(1).Meet(99), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => mixer.Inside == 1);

        // Core 1 is in a call: its own proxy refuses, clearly, and the call never reaches the domain.
        long before = mixer.Calls;
        var refused = Assert.Throws<InvalidOperationException>(() => host.ProxyOn(1).Mix(0, 0, new byte[1], new byte[1]));
        Assert.Contains("one call at a time", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, mixer.Calls);

        // The pool proxy takes core 2, which is free.
        byte[] digest = new byte[1];
        Assert.Equal(Mixer.Expected(5, 6, 9), host.Proxy.Mix(5, 6, [9], digest));

        // With both cores in calls, the pool refuses too.
        Task<int> second = Task.Factory.StartNew(() => host.ProxyOn(2).Meet(99), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => mixer.Inside == 2);
        var full = Assert.Throws<InvalidOperationException>(() => host.Proxy.Mix(0, 0, new byte[1], new byte[1]));
        Assert.Contains("Every core of the trust domain (2)", full.Message, StringComparison.Ordinal);

        mixer.Released.Set();
        Assert.Equal(2, await held.WaitAsync(Patience));
        Assert.Equal(2, await second.WaitAsync(Patience));

        // Both cores are free again, through either proxy.
        Assert.Equal(Mixer.Expected(1, 1, 3), host.ProxyOn(1).Mix(1, 1, [3], digest));
        Assert.Equal(Mixer.Expected(2, 2, 4), host.Proxy.Mix(2, 2, [4], digest));
    }

    [Fact]
    public async Task The_monitor_runs_the_domains_contexts_on_its_cores_only_and_one_switch_per_core_at_a_time()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        var mixer = new Mixer();
        using TrustDomainHost<IMixer> host = MixerBoundary.Host(mixer, new TrustDomainHostOptions { Monitor = monitor, CoreCount = 2 });

        // No context on core 2 (not one of the domain's cores), and none can be added: the domain is sealed.
        MonitorException noContext = Assert.Throws<MonitorException>(() => monitor.Transition(host.Domain, 2, 0));
        Assert.Equal(MonitorError.InvalidCore, noContext.Error);
        MonitorException sealedDomain = Assert.Throws<MonitorException>(() => monitor.AllocateCoreContext(host.Domain, 2));
        Assert.NotEqual(MonitorError.None, sealedDomain.Error);

        // While core 0 runs the domain, another thread cannot switch on core 0, but core 1 runs the domain at the same time.
        Task<int> onCore0 = Task.Factory.StartNew(() => host.ProxyOn(0).Meet(2), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => mixer.Inside == 1);
        MonitorException busy = Assert.Throws<MonitorException>(() => monitor.Transition(host.Domain, 0, 0));
        Assert.Equal(MonitorError.CoreBusy, busy.Error);
        Assert.Equal(2, host.ProxyOn(1).Meet(2));
        Assert.Equal(2, await onCore0.WaitAsync(Patience));
    }

    [Fact]
    public void The_cores_are_part_of_what_is_measured()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        using TrustDomainHost<IMixer> one = MixerBoundary.Host(new Mixer(), new TrustDomainHostOptions { Monitor = monitor });
        using TrustDomainHost<IMixer> two = MixerBoundary.Host(new Mixer(), new TrustDomainHostOptions { Monitor = monitor, CoreCount = 2 });

        Assert.False(one.Attestation.Measurement.Span.SequenceEqual(two.Attestation.Measurement.Span));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(0, 5)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public void Cores_outside_the_monitors_are_refused(int core, int count)
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        int before = monitor.DomainCount;

        Assert.Throws<ArgumentOutOfRangeException>(() => MixerBoundary.Host(new Mixer(), new TrustDomainHostOptions { Monitor = monitor, Core = core, CoreCount = count }));
        Assert.Equal(before, monitor.DomainCount);
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(patience.Elapsed < Patience, "timed out waiting");
            Thread.Sleep(1);
        }
    }
}
