using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TailGuard.Boundary;
using Xunit.Abstractions;

namespace TailGuard.Hosting.Tests;

/// <summary>AddTrustDomain on the backend its options name: simulated, process, or any ITrustDomainBackend registered by key.</summary>
public sealed class TrustDomainBackendTests(ITestOutputHelper output)
{
    private const string Section = "TailGuard:Domains:ICounter";

    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] values)
        => values.ToDictionary(value => $"{Section}:{value.Key}", value => (string?)value.Value);

    [Fact]
    public async Task A_domain_hosted_on_the_process_backend_runs_in_a_child_process_serves_through_the_proxy_and_ends_with_the_host()
    {
        if (!ProcessBackend.IsSupported)
        {
            output.WriteLine("Skipped: the process backend needs Linux on x86_64 (memfd, futex, seccomp).");
            return;
        }

        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Settings(("Backend", "process")));
        builder.Services.AddTrustDomain<ICounter, CounterBoundary, Counter>().BindConfiguration(Section);
        using var host = builder.Build();
        Assert.Empty(DomainProcesses());

        await host.StartAsync();
        try
        {
            var domain = host.Services.GetRequiredService<TrustDomainHost<ICounter>>();
            Assert.Null(domain.Monitor); // not the simulated monitor
            var child = Assert.Single(DomainProcesses());
            Assert.NotEqual(Environment.ProcessId, child);
            var counter = host.Services.GetRequiredService<ICounter>();
            Assert.Equal(3, counter.Increment(3));
            Assert.Equal(7, counter.Increment(4));
            var created = Assert.Single(logs.Entries, entry => entry.Id.Id == 3000);
            Assert.Contains("process backend", created.Message, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
        }

        Assert.True(host.Services.GetRequiredService<TrustDomainHost<ICounter>>().IsRevoked);
        Assert.Throws<BoundaryRevokedException>(() => host.Services.GetRequiredService<ICounter>().Increment(1));
        Assert.True(await TestHost.EventuallyAsync(() => DomainProcesses().Count == 0), "the domain process outlived the host's stop");
    }

    [Fact]
    public async Task The_process_backend_refuses_an_implementation_built_in_the_host_naming_the_registration_to_use()
    {
        if (!ProcessBackend.IsSupported)
        {
            output.WriteLine("Skipped: the process backend needs Linux on x86_64 (memfd, futex, seccomp).");
            return;
        }

        var logs = new CapturedLogs();
        var builder = TestHost.CreateBuilder(logs, Settings(("Backend", "Process")));
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()).BindConfiguration(Section);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("AddTrustDomain<ICounter, CounterBoundary, TImplementation>()", error.Message, StringComparison.Ordinal);
        Assert.True(logs.Has(3002), logs.Describe());
        Assert.Empty(DomainProcesses());
    }

    [Fact]
    public async Task A_backend_registered_by_key_is_chosen_by_its_name()
    {
        var backend = new RecordingBackend();
        var builder = TestHost.CreateBuilder(new CapturedLogs(), Settings(("Backend", "recording")));
        builder.Services.AddKeyedSingleton<ITrustDomainBackend>("recording", backend);
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()).BindConfiguration(Section);
        using var host = builder.Build();
        Assert.Equal(0, backend.Created);

        await host.StartAsync();
        try
        {
            Assert.Equal(1, backend.Created);
            Assert.Equal(5, host.Services.GetRequiredService<ICounter>().Increment(5));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData("Backend=tyche", "Trust domain 'ICounter': Backend 'tyche' is neither 'simulated', 'process' nor the key of an ITrustDomainBackend")]
    [InlineData("Backend=", "Backend '' is neither")]
    [InlineData("CoreCount=0", "Trust domain 'ICounter': CoreCount must be at least 1; it is 0")]
    [InlineData("Core=-1", "Core must be zero or more; it is -1")]
    public async Task Invalid_domain_settings_stop_the_start_with_an_error_naming_the_domain_and_the_setting(string setting, string expected)
    {
        var parts = setting.Split('=');
        var builder = TestHost.CreateBuilder(new CapturedLogs(), Settings((parts[0], parts[1])));
        builder.Services.AddTrustDomain<ICounter, CounterBoundary>(_ => new Counter()).BindConfiguration(Section);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_backend_settings_it_cannot_honour_stop_the_start_each_named()
    {
        var builder = TestHost.CreateBuilder(new CapturedLogs(), Settings(
            ("Backend", "process"), ("Core", "1"), ("CoreCount", "65"), ("Process:DomainHostPath", "/nonexistent/tailguard-domain.dll"), ("Process:CallTimeout", "00:00:00")));
        builder.Services.AddTrustDomain<ICounter, CounterBoundary, Counter>().BindConfiguration(Section);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var message = string.Join("\n", error.Failures);
        if (ProcessBackend.IsSupported)
        {
            Assert.Contains("runs it on 1 to 64 cores (CoreCount); it is Core 1, CoreCount 65", message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("needs Linux on x86_64", message, StringComparison.Ordinal);
        }

        Assert.Contains("Process:DomainHostPath '/nonexistent/tailguard-domain.dll' does not exist", message, StringComparison.Ordinal);
        Assert.Contains("Process:CallTimeout must be positive", message, StringComparison.Ordinal);
    }

    /// <summary>The tailguard-domain processes this test process started (their parent is us).</summary>
    private static List<int> DomainProcesses()
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if (parent == Environment.ProcessId && File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("tailguard-domain", StringComparison.Ordinal))
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return children;
    }

    /// <summary>A real backend (the simulated one) that records each domain it creates.</summary>
    private sealed class RecordingBackend : ITrustDomainBackend
    {
        private readonly SimulatedBackend _inner = new();

        public int Created { get; private set; }

        public string Name => "recording";

        public ITrustDomainInstance CreateDomain<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options)
            where TService : class
            where TBinding : ITrustDomainBinding<TService>
        {
            Created++;
            return _inner.CreateDomain<TService, TBinding>(image, options);
        }
    }
}
