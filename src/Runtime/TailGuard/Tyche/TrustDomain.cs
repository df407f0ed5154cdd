namespace TailGuard.Tyche;

/// <summary>The host's handle to a trust domain it created through <see cref="ITycheMonitor"/>. A plain value.</summary>
/// <param name="Id">The backend's id for the domain (the simulator: the engine's domain id, never reused).</param>
/// <param name="Generation">Distinguishes domains that reused the same id (0 where ids are never reused).</param>
public readonly record struct TrustDomain(int Id, int Generation);
