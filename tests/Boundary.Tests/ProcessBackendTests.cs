using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche.Attestation;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// The process-isolated backend's own promises (docs/trust-boundary.md, "Backends"): the host cannot read the domain's
/// private memory through its own mappings; the child is non-dumpable and under seccomp; a killed domain fails the
/// call in flight with <see cref="BoundaryRevokedException"/> and never hangs the host; a domain that overruns its
/// seccomp allowance is killed and reported; the attestation is the backend's signature over the measured assembly and
/// configuration. Skipped, with the reason, where the backend cannot run (not Linux x86_64).
/// </summary>
public sealed class ProcessBackendTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void The_host_cannot_find_the_domains_secret_in_anything_it_has_mapped_of_the_domain()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var safe = new SafeKit();
        const long seed = 0x1234_5678_9ABCL;
        Assert.Equal(32, safe.Proxy.Generate(seed));
        byte[] digest = new byte[32];
        byte[] input = new byte[64];
        for (int call = 0; call < 50; call++)
        {
            input.AsSpan().Fill((byte)call);
            safe.Proxy.Digest(input, digest);
            Assert.Equal(Expected(seed, input), digest); // the secret is used on every call...
        }

        // ...and is nowhere in the memory the host shares with the domain (the control page and the call region).
        byte[] secret = Safe.SecretFor(seed);
        Assert.True(safe.Domain.HostMapping.Length > 4096);
        Assert.Equal(-1, safe.Domain.HostMapping.IndexOf(secret.AsSpan(0, 16)));
        Assert.Equal(-1, safe.Domain.HostMapping.IndexOf(secret.AsSpan(16, 16)));

        // The domain is another process, non-dumpable, with no new privileges and a seccomp filter (mode 2).
        Assert.NotEqual(Environment.ProcessId, safe.Domain.ProcessId);
        Assert.Equal("dumpable=0 seccomp=1", safe.Domain.Sealing);
        string status = File.ReadAllText($"/proc/{safe.Domain.ProcessId}/status");
        Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", status, StringComparison.Ordinal);
    }

    [Fact]
    public void Killing_the_domain_process_fails_the_call_in_flight_with_BoundaryRevokedException_and_every_later_call()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var safe = new SafeKit();
        int pid = safe.Proxy.Hold(0);
        Assert.Equal(safe.Domain.ProcessId, pid);
        Task<int> inFlight = Task.Run(() => safe.Proxy.Hold(30_000));
        Thread.Sleep(300); // the call is in the domain (it holds for 30 s)
        Assert.False(inFlight.IsCompleted);
        safe.Domain.Kill();

        Assert.True(((IAsyncResult)inFlight).AsyncWaitHandle.WaitOne(Patience), "the host hung on a dead domain");
        AggregateException failure = Assert.Throws<AggregateException>(() => inFlight.Result);
        Assert.IsType<BoundaryRevokedException>(failure.InnerException);
        Assert.Throws<BoundaryRevokedException>(() => safe.Proxy.Hold(0));
        output.WriteLine(safe.Host.StopReason);
        Assert.Contains("killed", safe.Host.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_process_that_stops_answering_fails_the_call_after_the_call_timeout_and_is_killed()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var backend = new ProcessBackend(new ProcessBackendOptions { CallTimeout = TimeSpan.FromSeconds(1) });
        using TrustDomainHost<ISafe> host = TrustDomainHost.Create<ISafe, SafeBoundary, Safe>(new TrustDomainHostOptions { Backend = backend });
        int pid = host.Proxy.Hold(0);
        using var child = System.Diagnostics.Process.GetProcessById(pid);

        // Alive but silent: SIGSTOP, so it neither answers nor exits.
        using (var stop = System.Diagnostics.Process.Start("kill", ["-STOP", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            Assert.True(stop.WaitForExit(Patience));
            Assert.Equal(0, stop.ExitCode);
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        Task<int> call = Task.Run(() => host.Proxy.Hold(0));
        Assert.True(((IAsyncResult)call).AsyncWaitHandle.WaitOne(Patience), "the host hung on a silent domain");
        AggregateException failure = Assert.Throws<AggregateException>(() => call.Result);
        Assert.IsType<BoundaryRevokedException>(failure.InnerException);
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(900), "failed before the call timeout: " + waited.Elapsed);
        output.WriteLine(host.StopReason);
        Assert.Contains("did not answer a call within 1000 ms", host.StopReason, StringComparison.Ordinal);
        Assert.Contains("did not answer", failure.InnerException!.Message, StringComparison.Ordinal);

        // The domain is revoked: its process was killed (a stopped process dies on SIGKILL), and later calls fail at once.
        Assert.True(child.WaitForExit(Patience), "the silent domain process was not killed");
        Assert.Throws<BoundaryRevokedException>(() => host.Proxy.Hold(0));
    }

    [Fact]
    public void A_call_timeout_that_is_not_positive_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessBackend(new ProcessBackendOptions { CallTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessBackend(new ProcessBackendOptions { CallTimeout = TimeSpan.FromSeconds(-2) }));
        using var unlimited = new ProcessBackend(new ProcessBackendOptions { CallTimeout = Timeout.InfiniteTimeSpan });
        Assert.Equal("process", unlimited.Name);
    }

    [Fact]
    public void A_domain_that_overruns_its_seccomp_allowance_is_killed_and_reported()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        using var safe = new SafeKit();
        Assert.Equal(-1, safe.Proxy.TryReadFile()); // opening a file is refused (EPERM), and the domain lives on
        Assert.Equal(safe.Domain.ProcessId, safe.Proxy.Hold(0));

        Assert.Throws<BoundaryRevokedException>(() => safe.Proxy.OpenSocket()); // socket(2): not allowed, the process is killed
        Assert.Throws<BoundaryRevokedException>(() => safe.Proxy.Hold(0));
        output.WriteLine(safe.Host.StopReason);
        Assert.Contains("SIGSYS", safe.Host.StopReason, StringComparison.Ordinal);
        Assert.Contains("seccomp", safe.Host.StopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposing_the_host_stops_the_domain_process_and_the_proxy_fails_with_BoundaryRevokedException()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        var safe = new SafeKit();
        int pid = safe.Domain.ProcessId;
        safe.Proxy.Generate(1);
        safe.Dispose();
        Assert.Throws<BoundaryRevokedException>(() => safe.Proxy.Generate(2));
        Assert.False(File.Exists($"/proc/{pid}/status") && !File.ReadAllText($"/proc/{pid}/status").Contains("State:\tZ", StringComparison.Ordinal), "the domain process outlived its host");
    }

    [Fact]
    public void The_attestation_is_the_backends_signature_over_the_measured_assembly_and_configuration()
    {
        if (!Backends.ProcessSupported(output))
        {
            return;
        }

        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        using var safe = new SafeKit(nonce);
        byte[] expected = ProcessBackend.ExpectedMeasurement<ISafe, SafeBoundary>(typeof(Safe));
        using var verifier = new AttestationVerifier(safe.Backend.ExportPublicKey());
        Assert.True(verifier.Verify(safe.Host.EncodedAttestation, expected, nonce));
        Assert.Equal(safe.Domain.ProcessId, safe.Host.Attestation.DomainId);

        // Another key, another nonce or another implementation does not verify.
        using var other = new ProcessBackend();
        using var stranger = new AttestationVerifier(other.ExportPublicKey());
        Assert.False(stranger.Verify(safe.Host.EncodedAttestation, expected, nonce));
        Assert.False(verifier.Verify(safe.Host.EncodedAttestation, expected, RandomNumberGenerator.GetBytes(32)));
        Assert.NotEqual(expected, ProcessBackend.ExpectedMeasurement<ISafe, SafeBoundary>(typeof(NotTheSafe)));
    }

    [Fact]
    public void An_implementation_given_as_an_instance_or_a_domain_with_out_calls_is_refused_with_a_clear_error()
    {
        using var backend = new ProcessBackend();
        var options = new TrustDomainHostOptions { Backend = backend };
        if (!ProcessBackend.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => SafeBoundary.Host(new Safe(), options));
            return;
        }

        NotSupportedException refused = Assert.Throws<NotSupportedException>(() => SafeBoundary.Host(new Safe(), options));
        Assert.Contains("TImplementation", refused.Message, StringComparison.Ordinal);
    }

    private static byte[] Expected(long seed, byte[] input) => SHA256.HashData([.. Safe.SecretFor(seed), .. input]);

    /// <summary>A second implementation, for a different measurement.</summary>
    private sealed class NotTheSafe : ISafe
    {
        public int Generate(long seed) => 0;

        public void Digest(ReadOnlySpan<byte> input, Span<byte> digest)
        {
        }

        public int Hold(int milliseconds) => 0;

        public int TryReadFile() => 0;

        public int OpenSocket() => 0;
    }

    private sealed class SafeKit : IDisposable
    {
        public SafeKit(byte[]? nonce = null)
        {
            Backend = new ProcessBackend();
            Host = TrustDomainHost.Create<ISafe, SafeBoundary, Safe>(new TrustDomainHostOptions { Backend = Backend, Nonce = nonce });
            Domain = (ProcessDomain)Host.Instance;
        }

        public ProcessBackend Backend { get; }

        public TrustDomainHost<ISafe> Host { get; }

        public ProcessDomain Domain { get; }

        public ISafe Proxy => Host.Proxy;

        public void Dispose()
        {
            Host.Dispose();
            Backend.Dispose();
        }
    }
}
