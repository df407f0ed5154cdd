using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TailGuard.Boundary;

namespace TailGuard.Hosting;

/// <summary>Checks a trust domain's settings when the host starts, naming the domain and the setting in every failure.</summary>
internal sealed class TrustDomainOptionsValidator(IServiceProvider services) : IValidateOptions<TrustDomainOptions>
{
    public ValidateOptionsResult Validate(string? name, TrustDomainOptions options)
    {
        var failures = new List<string>();
        var domain = $"Trust domain '{name}'";
        if (options.Core < 0)
        {
            failures.Add($"{domain}: Core must be zero or more; it is {options.Core}.");
        }

        if (options.CoreCount < 1)
        {
            failures.Add($"{domain}: CoreCount must be at least 1; it is {options.CoreCount}.");
        }

        switch (TrustDomainBackends.Kind(options.Backend, services))
        {
            case TrustDomainBackendKind.Process:
                ValidateProcess(domain, options, failures);
                break;
            case TrustDomainBackendKind.Unknown:
                failures.Add(
                    $"{domain}: Backend '{options.Backend}' is neither '{TrustDomainOptions.SimulatedBackend}', '{TrustDomainOptions.ProcessBackend}' nor the key of an ITrustDomainBackend registered in the services (services.AddKeyedSingleton<ITrustDomainBackend>(\"{options.Backend}\", ...)).");
                break;
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateProcess(string domain, TrustDomainOptions options, List<string> failures)
    {
        if (!Boundary.ProcessBackend.IsSupported)
        {
            failures.Add($"{domain}: the process backend needs Linux on x86_64 (memfd, futex, a seccomp filter); use Backend '{TrustDomainOptions.SimulatedBackend}' here.");
        }

        if (options.Core != 0 || options.CoreCount > Boundary.ProcessBackend.MaxCoreCount)
        {
            failures.Add($"{domain}: the process backend numbers a domain's cores from 0 (Core 0) and runs it on 1 to {Boundary.ProcessBackend.MaxCoreCount} cores (CoreCount); it is Core {options.Core}, CoreCount {options.CoreCount}.");
        }

        // Only a configured path is checked here: otherwise the backend searches several places (the application's
        // folder, beside TailGuard.dll, the package's tools folder) when the domain starts, and its error lists them all.
        var process = options.Process ?? new TrustDomainProcessOptions();
        if (process.DomainHostPath is { } host && !File.Exists(host))
        {
            failures.Add($"{domain}: Process:DomainHostPath '{host}' does not exist.");
        }

        if (process.CallTimeout is { } call && call <= TimeSpan.Zero && call != System.Threading.Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{domain}: Process:CallTimeout must be positive; it is {call}.");
        }

        if (process.StartTimeout is { } start && start <= TimeSpan.Zero)
        {
            failures.Add($"{domain}: Process:StartTimeout must be positive; it is {start}.");
        }

        if (process.SpinIterations is < 0)
        {
            failures.Add($"{domain}: Process:SpinIterations must be zero or more; it is {process.SpinIterations}.");
        }
    }
}
