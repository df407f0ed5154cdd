using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Package.Tests;

/// <summary>
/// A user of the NuGet package alone (no repository checkout, no project reference to the domain host) runs a trust
/// domain on the process backend: the package's build targets copy tailguard-domain beside the application, the
/// backend finds it there, starts the sealed child process and serves a call through it (docs/trust-boundary.md,
/// "Where tailguard-domain is found"). Skipped, saying so, where the process backend cannot run (Linux x86_64 only).
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class ProcessBackendConsumerTests(PackedPackages packages, ITestOutputHelper output)
{
    private const string Program = """
        using System.Security.Cryptography;
        using TailGuard;
        using TailGuard.Boundary;
        using TailGuard.Tyche.Attestation;

        using var backend = new ProcessBackend();
        byte[] nonce = RandomNumberGenerator.GetBytes(32);
        using TrustDomainHost<IAdder> host = TrustDomainHost.Create<IAdder, AdderBoundary, Adder>(
            new TrustDomainHostOptions { Backend = backend, Nonce = nonce });
        using (var verifier = new AttestationVerifier(backend.ExportPublicKey()))
        {
            bool verified = verifier.Verify(host.EncodedAttestation, ProcessBackend.ExpectedMeasurement<IAdder, AdderBoundary>(typeof(Adder)), nonce);
            Console.WriteLine($"attestation verifies: {verified}");
        }

        Console.WriteLine($"40 + 2 = {host.Proxy.Add(40, 2)}");
        Console.WriteLine($"pids: host {Environment.ProcessId} handle {host.Domain.Id} answered-by {host.Proxy.Pid()}");

        [TrustDomain]
        public interface IAdder
        {
            int Add(int a, int b);

            int Pid();
        }

        public sealed class Adder : IAdder
        {
            public int Add(int a, int b) => a + b;

            public int Pid() => Environment.ProcessId;
        }
        """;

    private const string OptedOutProgram = """
        using TailGuard;
        using TailGuard.Boundary;

        try
        {
            using var backend = new ProcessBackend();
            using TrustDomainHost<IAdder> host = TrustDomainHost.Create<IAdder, AdderBoundary, Adder>(new TrustDomainHostOptions { Backend = backend });
            Console.WriteLine("started");
        }
        catch (FileNotFoundException exception)
        {
            Console.WriteLine("not found: " + exception.Message);
        }

        [TrustDomain]
        public interface IAdder
        {
            int Add(int a, int b);
        }

        public sealed class Adder : IAdder
        {
            public int Add(int a, int b) => a + b;
        }
        """;

    [Fact]
    public async Task A_package_consumer_runs_a_call_on_the_process_backend_with_the_domain_host_the_package_copied_beside_it()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            output.WriteLine("SKIPPED: the process backend needs Linux on x86_64 (memfd, futex, a seccomp filter written for x86_64).");
            return;
        }

        using var consumer = new ConsumerProject(packages, Program);
        var build = await consumer.BuildAsync();
        Assert.True(build.Succeeded, build.ToString());
        string bin = Path.Combine(consumer.Path, "bin", "Debug", "net10.0");
        foreach (string file in new[] { "tailguard-domain.dll", "tailguard-domain.runtimeconfig.json", "tailguard-domain.deps.json" })
        {
            Assert.True(File.Exists(Path.Combine(bin, file)), $"the package's build targets copy {file} beside the application");
        }

        var run = await consumer.RunAsync();
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("attestation verifies: True", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("40 + 2 = 42", run.StandardOutput, StringComparison.Ordinal);

        // The domain's own process answered: the pid the implementation reports is the domain's handle, not the consumer's.
        var pids = System.Text.RegularExpressions.Regex.Match(run.StandardOutput, @"pids: host (\d+) handle (\d+) answered-by (\d+)");
        Assert.True(pids.Success, run.ToString());
        Assert.Equal(pids.Groups[2].Value, pids.Groups[3].Value);
        Assert.NotEqual(pids.Groups[1].Value, pids.Groups[3].Value);
    }

    [Fact]
    public async Task A_consumer_that_opts_out_of_the_copy_gets_no_domain_host_and_a_clear_error_naming_where_it_searched()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            output.WriteLine("SKIPPED: the process backend needs Linux on x86_64 (memfd, futex, a seccomp filter written for x86_64).");
            return;
        }

        using var consumer = new ConsumerProject(packages, OptedOutProgram);
        var build = await DotNetCli.RunAsync(consumer.Path, "build", "-c", "Debug", "-p:TailGuardCopyDomainHost=false");
        Assert.True(build.Succeeded, build.ToString());
        Assert.False(File.Exists(Path.Combine(consumer.Path, "bin", "Debug", "net10.0", "tailguard-domain.dll")));

        var run = await consumer.RunAsync();
        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("not found: The process backend's child program tailguard-domain.dll was not found. Searched, in order: ", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("TailGuardCopyDomainHost", run.StandardOutput, StringComparison.Ordinal);
    }
}
