using System;
using System.Threading;

namespace TailGuard.Boundary.Tests;

/// <summary>B10: the domain revoked in the middle of calls fails them with a distinct error and no partial output.</summary>
public sealed class RevocationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void B10_revoking_the_domain_during_a_call_fails_it_with_BoundaryRevokedException_and_leaves_the_output_untouched()
    {
        using var kit = new ProbeKit();
        using var revoked = new ManualResetEventSlim();
        kit.Probe.DuringCall = () =>
        {
            // Another thread (the host's manager) revokes the domain while this call is inside it.
            var revoker = new Thread(() => kit.Monitor.Destroy(kit.Host.Domain));
            revoker.Start();
            Assert.True(revoker.Join(Patience));
            revoked.Set();
        };

        byte[] destination = new byte[16];
        destination.AsSpan().Fill(0xEE);
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Fill(1, 16, destination));
        Assert.True(revoked.IsSet);
        Assert.All(destination, b => Assert.Equal(0xEE, b)); // no partial output reached the caller

        // The proxy stays failed, with the same distinct error, and never reaches the (gone) implementation.
        kit.Probe.DuringCall = null;
        int calls = kit.Probe.Calls;
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Add(1, 2, default));
        Assert.Equal(calls, kit.Probe.Calls);
    }

    [Fact]
    public void B10_revoking_at_an_arbitrary_moment_of_a_stream_of_calls_fails_every_later_call_the_same_way()
    {
        using var kit = new ProbeKit();
        byte[] input = new byte[64];
        int completed = 0;
        var revoker = new Thread(() =>
        {
            // Revoke once some calls went through, wherever the caller happens to be at that moment.
            var deadline = DateTime.UtcNow + Patience;
            while (Volatile.Read(ref completed) < 50 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }

            kit.Monitor.Destroy(kit.Host.Domain);
        });
        revoker.Start();

        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "the revocation never reached the caller");
            try
            {
                Assert.Equal(3, kit.Proxy.Add(1, 2, input));
                Interlocked.Increment(ref completed);
            }
            catch (BoundaryRevokedException)
            {
                break;
            }
        }

        Assert.True(revoker.Join(Patience));
        Assert.True(completed >= 50);
        for (int call = 0; call < 10; call++)
        {
            Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Add(1, 2, input));
        }
    }

    [Fact]
    public void B10_revoking_only_the_shared_region_during_a_call_fails_it_and_no_output_is_used()
    {
        using var kit = new ProbeKit();
        TailGuard.Tyche.Simulation.SimulatedCore manager = kit.Monitor.GetCore(3); // the host, on a core nobody calls on
        TailGuard.Tyche.CapabilityHandle revoke = FindSharedRegionRevoke(kit, manager);
        kit.Probe.DuringCall = () =>
        {
            var revoker = new Thread(() => manager.Revoke(revoke));
            revoker.Start();
            Assert.True(revoker.Join(Patience));
        };

        byte[] destination = new byte[16];
        destination.AsSpan().Fill(0xEE);
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Fill(1, 16, destination));
        Assert.All(destination, b => Assert.Equal(0xEE, b));
        Assert.Equal(1, kit.Probe.Calls);

        // The domain lives on, but without its call region every later call fails the same way before reaching it.
        kit.Probe.DuringCall = null;
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Add(1, 2, default));
        Assert.Equal(1, kit.Probe.Calls);
    }

    [Fact]
    public void Setting_up_another_domain_on_the_same_monitor_during_a_call_does_not_fail_it()
    {
        using var kit = new ProbeKit();
        TrustDomainHost<TailGuard.Boundary.Tests.Contracts.IProbe>? second = null;
        kit.Probe.DuringCall = () =>
        {
            // The host's own mapping changes (memory carved for the new domain): the running call must not care.
            var setup = new Thread(() => second = TailGuard.Boundary.Tests.Contracts.ProbeBoundary.Host(
                new TailGuard.Boundary.Tests.Contracts.Probe(), new TrustDomainHostOptions { Monitor = kit.Monitor, Core = 1 }));
            setup.Start();
            Assert.True(setup.Join(Patience));
        };

        Assert.Equal(3 + 7, kit.Proxy.Add(1, 2, [7]));
        kit.Probe.DuringCall = null;
        Assert.Equal(3, kit.Proxy.Add(1, 2, default));
        Assert.NotNull(second);
        Assert.Equal(4, second!.Proxy.Add(1, 2, [1]));
        second.Dispose();
        Assert.Equal(3, kit.Proxy.Add(1, 2, default));
    }

    [Fact]
    public void B10_disposing_the_host_revokes_the_domain_and_zeroes_its_private_memory()
    {
        var kit = new ProbeKit();
        kit.Proxy.Add(1, 2, [42]);
        ulong privateAddress = kit.Host.Region.PrivateAddress;
        kit.Host.Dispose();
        Assert.Throws<BoundaryRevokedException>(() => kit.Proxy.Add(1, 2, default));
        byte[] returned = new byte[kit.Layout.ScratchSize];
        kit.Monitor.HostRead(privateAddress, returned); // back with the host, and cleaned (CLEANUP)
        Assert.All(returned, b => Assert.Equal(0, b));
        kit.Monitor.Dispose();
    }

    private static TailGuard.Tyche.CapabilityHandle FindSharedRegionRevoke(ProbeKit kit, TailGuard.Tyche.Simulation.SimulatedCore manager)
    {
        ulong start = kit.Host.Region.SharedAddress;
        ulong token = 0;
        do
        {
            token = manager.Enumerate(token, out TailGuard.Tyche.CapabilityInfo info);
            if (info.Kind == TailGuard.Tyche.CapabilityKind.RegionRevoke && info.Value1 == start)
            {
                return info.Handle;
            }
        }
        while (token != 0);

        throw new InvalidOperationException("The host holds no revoke capability for the shared region.");
    }
}
