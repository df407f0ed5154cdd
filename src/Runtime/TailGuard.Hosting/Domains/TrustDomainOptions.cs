using System;

namespace TailGuard.Hosting;

/// <summary>
/// The settings of one hosted trust domain (<see cref="TailGuardServiceCollectionExtensions.AddTrustDomain{TService, TBinding}"/>),
/// bindable from configuration (<c>.BindConfiguration("TailGuard:Domains:KeyStore")</c>) and validated when the host
/// starts: an invalid value stops the start with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>
/// that names the domain and the setting.
/// </summary>
public sealed class TrustDomainOptions
{
    /// <summary>The name of the simulated backend (<see cref="TailGuard.Boundary.SimulatedBackend"/>), the default.</summary>
    public const string SimulatedBackend = "simulated";

    /// <summary>The name of the process backend (<see cref="TailGuard.Boundary.ProcessBackend"/>: a sealed child process per domain; Linux x86_64).</summary>
    public const string ProcessBackend = "process";

    /// <summary>
    /// Where the domain runs: <see cref="SimulatedBackend"/> (default, case-insensitive), <see cref="ProcessBackend"/>,
    /// or the key of an <see cref="TailGuard.Boundary.ITrustDomainBackend"/> registered as a keyed service
    /// (<c>services.AddKeyedSingleton&lt;ITrustDomainBackend&gt;("mine", ...)</c>), which the container owns.
    /// </summary>
    public string Backend { get; set; } = SimulatedBackend;

    /// <summary>The domain's first core (its core context). Default 0.</summary>
    public int Core { get; set; }

    /// <summary>How many cores the domain runs on, each serving one call at a time (default 1; the process backend takes 1).</summary>
    public int CoreCount { get; set; } = 1;

    /// <summary>The process backend's settings, used when <see cref="Backend"/> is <see cref="ProcessBackend"/>.</summary>
    public TrustDomainProcessOptions Process { get; set; } = new();
}

/// <summary>The process backend's settings of a hosted trust domain (<see cref="TrustDomainOptions.Process"/>); null keeps the runtime's default.</summary>
public sealed class TrustDomainProcessOptions
{
    /// <summary>The domain host <c>tailguard-domain.dll</c>; by default the process backend searches for it (docs/trust-boundary.md, "Where tailguard-domain is found").</summary>
    public string? DomainHostPath { get; set; }

    /// <summary>How long a call may wait for the domain's answer before the domain is revoked (runtime default 10 s).</summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>How long the domain process may take to load and report ready (runtime default 60 s).</summary>
    public TimeSpan? StartTimeout { get; set; }

    /// <summary>How many times each side polls before it waits in the kernel; 0 always waits (runtime default 20 000).</summary>
    public int? SpinIterations { get; set; }
}
