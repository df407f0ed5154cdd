using System;

namespace TailGuard;

/// <summary>
/// Marks data that must stay inside its trust domain: it may not reach the host, the network, logs, exception messages
/// or storage that is not itself <c>[Secret]</c>, except through a <see cref="DeclassifierAttribute"/> method.
/// The secret-flow analyzers (TG4xxx) enforce it.
/// </summary>
[AttributeUsage(
    AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.ReturnValue,
    AllowMultiple = false,
    Inherited = true)]
public sealed class SecretAttribute : Attribute
{
}
