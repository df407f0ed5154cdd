using System;

namespace TailGuard;

/// <summary>
/// Marks a member or type that must not allocate on the managed heap. The allocation analyzers (TG3xxx) report every
/// allocation in it and in the methods it calls. Implementations of <see cref="R2P2ServiceAttribute"/> and
/// <see cref="TrustDomainAttribute"/> interfaces are hot paths without this attribute.
/// </summary>
[AttributeUsage(
    AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method | AttributeTargets.Constructor |
    AttributeTargets.Property,
    AllowMultiple = false,
    Inherited = false)]
public sealed class HotPathAttribute : Attribute
{
}
