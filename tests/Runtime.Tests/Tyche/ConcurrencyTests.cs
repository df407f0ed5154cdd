using System;
using System.Linq;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>Several threads playing several cores at once; a domain's context never runs on two cores.</summary>
public sealed class ConcurrencyTests
{
    private const int CallsPerThread = 2000;

    [Fact]
    public void Compatible_threads_switching_different_domains_on_different_cores_all_get_their_own_answers()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        HostedDomain[] domains = Enumerable.Range(0, 4).Select(_ => new HostedDomain(monitor, cores: 4)).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Thread[] threads = Enumerable.Range(0, 4).Select(core => new Thread(() =>
        {
            try
            {
                byte[] scratch = new byte[64];
                for (int call = 0; call < CallsPerThread; call++)
                {
                    HostedDomain hosted = domains[core];
                    byte value = (byte)(call + core);
                    Assert.Equal(value * 3u, hosted.Sum([value, value, value], core, scratch));
                }
            }
            catch (Exception exception)
            {
                failures.Enqueue(exception);
            }
        })).ToArray();

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(120)));
        }

        Assert.Empty(failures);
        Assert.All(domains, hosted => Assert.Equal(1, hosted.Entry.MaxActive));
    }

    [Fact]
    public void Compatible_one_domain_runs_on_four_cores_at_once_but_each_context_on_one_core_at_a_time()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4 });
        TrustDomain domain = monitor.CreateDomain();
        int[] activePerCore = new int[4];
        int[] runsPerCore = new int[4];
        int violations = 0;
        monitor.SetEntry(domain, new ScriptEntry
        {
            Body = context =>
            {
                int core = context.Core.Id;
                if (Interlocked.Increment(ref activePerCore[core]) != 1 || context.Core.CurrentDomainId != domain.Id)
                {
                    Interlocked.Increment(ref violations);
                }

                Thread.SpinWait(50);
                runsPerCore[core]++;
                Interlocked.Decrement(ref activePerCore[core]);
                return DomainExit.Return;
            },
        });
        for (int core = 0; core < 4; core++)
        {
            monitor.AllocateCoreContext(domain, core);
        }

        monitor.Commit(domain);

        // Two threads per core fight for it: a core is played by one thread at a time, the loser is told so.
        int refused = 0;
        var unexpected = new System.Collections.Concurrent.ConcurrentQueue<MonitorError>();
        Thread[] threads = Enumerable.Range(0, 8).Select(index => new Thread(() =>
        {
            for (int call = 0; call < CallsPerThread / 2; call++)
            {
                MonitorError error = ErrorOf(() => monitor.Transition(domain, index % 4, 0));
                if (error is MonitorError.CoreBusy or MonitorError.CapabilityDoesNotExist)
                {
                    Interlocked.Increment(ref refused);
                }
                else if (error != MonitorError.None)
                {
                    unexpected.Enqueue(error);
                }
            }
        })).ToArray();

        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(120)));
        }

        Assert.Empty(unexpected);
        Assert.Equal(0, violations);
        Assert.Equal(8 * (CallsPerThread / 2), runsPerCore.Sum() + refused);
        Assert.All(runsPerCore, runs => Assert.True(runs > 0));

        // Afterwards the host holds exactly one Switch into each of the domain's four contexts.
        var switches = Capabilities(monitor.GetCore(0)).Where(info => info.Kind == CapabilityKind.Switch && info.Value1 == (ulong)domain.Id).ToList();
        Assert.Equal([0UL, 1UL, 2UL, 3UL], switches.Select(info => info.Value2).Order().ToArray());
    }
}
