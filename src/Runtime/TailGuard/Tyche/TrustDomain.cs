namespace TailGuard.Tyche;

/// <summary>The host's handle to a trust domain it created through <see cref="ITycheMonitor"/>. A plain value.</summary>
/// <param name="Id">The backend's id for the domain (stable while it lives).</param>
/// <param name="Generation">Distinguishes domains that reused the same id.</param>
public readonly record struct TrustDomain(int Id, int Generation);
