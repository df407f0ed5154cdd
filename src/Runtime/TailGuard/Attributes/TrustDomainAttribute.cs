using System;

namespace TailGuard;

/// <summary>
/// Marks an interface implemented inside a Tyche trust domain and called by the host. The TailGuard generator emits
/// <c>{Name}Proxy</c> (host side: writes call frames into the shared region and switches into the domain) and
/// <c>{Name}Entry</c> (domain side: copies and validates each frame before calling the implementation).
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class TrustDomainAttribute : Attribute
{
}
