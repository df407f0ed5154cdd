using System;

namespace TailGuard;

/// <summary>
/// Marks an interface implemented by the host and called from inside a trust domain (the reverse direction of
/// <see cref="TrustDomainAttribute"/>). Everything the host returns is validated before the domain sees it.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class HostCallsAttribute : Attribute
{
}
