namespace TailGuard.Hosting;

/// <summary>The settings of one hosted trust domain (<see cref="TailGuardServiceCollectionExtensions.AddTrustDomain{TService, TBinding}"/>), bindable from configuration.</summary>
public sealed class TrustDomainOptions
{
    /// <summary>The core the domain runs on (its core context). Default 0.</summary>
    public int Core { get; set; }
}
