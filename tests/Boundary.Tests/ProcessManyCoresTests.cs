using System;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche.Attestation;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// A process domain on several cores (TrustDomainHostOptions.CoreCount; docs/trust-boundary.md, "Many cores"): one
/// control block, call region and serving thread per core in the domain process, a core picked per call as on the
/// simulated backend, concurrent callers never sharing a frame even with an attacker rewriting every core's region.
/// Skipped, with the reason, where the process backend cannot run (not Linux x86_64).
/// </summary>
public sealed class ProcessManyCoresTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void Callers_on_as_many_threads_as_cores_are_inside_the_domain_process_at_once()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var backend = new ProcessBackend();
        using TrustDomainHost<IMixer> host = TrustDomainHost.Create<IMixer, MixerBoundary, Mixer>(new TrustDomainHostOptions { Backend = backend, CoreCount = 3 });
        Assert.Equal([0, 1, 2], host.Cores);

        int[] seen = ConcurrentMixing.RunOnThreads(3, _ => host.Proxy.Meet(3));

        // Each call waited inside the domain until all three were there: the domain process served three cores at once.
        Assert.All(seen, most => Assert.Equal(3, most));
        Assert.Equal(3, host.Counters.Completed);
    }

    [Fact]
    public void Thousands_of_concurrent_calls_with_an_attacker_rewriting_every_cores_region_are_each_their_own_and_consistent_or_rejected()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        const int Threads = 3;
        const int CallsPerThread = 1000;
        using var backend = new ProcessBackend();
        using TrustDomainHost<IMixer> host = TrustDomainHost.Create<IMixer, MixerBoundary, Mixer>(new TrustDomainHostOptions { Backend = backend, CoreCount = Threads });
        var domain = (ProcessDomain)host.Instance;
        int dataStart = MixerBoundary.Layout.FrameSize;

        // The attacker (host code outside the proxy) rewrites the input bytes of every core's shared region, all the time.
        byte[] noise = new byte[64];
        long completed = ConcurrentMixing.UnderAttack(host.Proxy, Threads, CallsPerThread, (random, core) =>
        {
            random.NextBytes(noise);
            noise.CopyTo(domain.SharedRegion(core)[dataStart..]);
        });

        Assert.Equal(completed, host.Counters.Completed);
    }

    [Fact]
    public async Task A_proxy_bound_to_one_core_refuses_a_second_concurrent_call_while_the_pool_proxy_takes_a_free_core()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var backend = new ProcessBackend();
        using TrustDomainHost<ISafe> host = TrustDomainHost.Create<ISafe, SafeBoundary, Safe>(new TrustDomainHostOptions { Backend = backend, CoreCount = 2 });
        var domain = (ProcessDomain)host.Instance;
        Assert.Equal(32, host.Proxy.Generate(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => host.ProxyOn(2));

        Task<int> held = Task.Factory.StartNew(() => host.ProxyOn(0).Hold(2000), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => domain.InCall(0));

        // Core 0 is in a call: its own proxy refuses, clearly, before anything is written.
        var refused = Assert.Throws<InvalidOperationException>(() => host.ProxyOn(0).Generate(1));
        Assert.Contains("one call at a time", refused.Message, StringComparison.Ordinal);

        // The pool proxy takes core 1, which is free, and the domain answers there while core 0 holds.
        byte[] digest = new byte[32];
        host.Proxy.Digest([1, 2], digest);
        Assert.Equal(SHA256.HashData([.. Safe.SecretFor(5), 1, 2]), digest);

        // With both cores in calls, the pool refuses too.
        Task<int> second = Task.Factory.StartNew(() => host.ProxyOn(1).Hold(1000), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        WaitUntil(() => domain.InCall(1));
        var full = Assert.Throws<InvalidOperationException>(() => host.Proxy.Generate(1));
        Assert.Contains("Every core of the trust domain (2)", full.Message, StringComparison.Ordinal);

        int pid = await held.WaitAsync(Patience);
        Assert.Equal(pid, await second.WaitAsync(Patience)); // one domain process served both cores
        Assert.Equal(host.Domain.Id, pid);
    }

    [Fact]
    public void The_core_count_is_measured_and_the_attestation_verifies_against_the_expected_measurement()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        byte[] nonce = [9];
        using var backend = new ProcessBackend();
        using TrustDomainHost<IMixer> two = TrustDomainHost.Create<IMixer, MixerBoundary, Mixer>(new TrustDomainHostOptions { Backend = backend, CoreCount = 2, Nonce = nonce });
        using var verifier = new AttestationVerifier(backend.ExportPublicKey());

        Assert.True(verifier.Verify(two.EncodedAttestation, ProcessBackend.ExpectedMeasurement<IMixer, MixerBoundary>(typeof(Mixer), 2), nonce));
        Assert.False(verifier.Verify(two.EncodedAttestation, ProcessBackend.ExpectedMeasurement<IMixer, MixerBoundary>(typeof(Mixer)), nonce));
        Assert.Equal(
            ProcessBackend.ExpectedMeasurement<IMixer, MixerBoundary>(typeof(Mixer)),
            ProcessBackend.ExpectedMeasurement<IMixer, MixerBoundary>(typeof(Mixer), 1));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(0, 0)]
    [InlineData(0, 65)]
    public void Core_numbers_other_than_from_zero_and_counts_outside_1_to_64_are_refused(int core, int count)
    {
        using var backend = new ProcessBackend();
        if (!ProcessBackend.IsSupported)
        {
            output.WriteLine("SKIPPED: the process backend needs Linux on x86_64.");
            return;
        }

        var options = new TrustDomainHostOptions { Backend = backend, Core = core, CoreCount = count };
        Exception refused = Assert.ThrowsAny<Exception>(() => TrustDomainHost.Create<IMixer, MixerBoundary, Mixer>(options));
        Assert.True(refused is NotSupportedException or ArgumentOutOfRangeException, refused.ToString());
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(patience.Elapsed < Patience, "timed out waiting for the domain");
            Thread.Sleep(1);
        }
    }
}
