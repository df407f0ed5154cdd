using System;

namespace TailGuard;

/// <summary>
/// The largest size a buffer or string parameter of a <see cref="TrustDomainAttribute"/> or
/// <see cref="HostCallsAttribute"/> method may have: elements for a span (bytes for a span of bytes), UTF-8 bytes for a
/// string (default 256). Every span parameter needs one, so that the callee's private scratch memory is sized and
/// allocated once, up front; a call that exceeds it is refused on both sides of the boundary.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class BoundedAttribute : Attribute
{
    /// <summary>Creates the bound.</summary>
    /// <param name="maxLength">The largest accepted length (1 to 1 MiB in bytes).</param>
    public BoundedAttribute(int maxLength) => MaxLength = maxLength;

    /// <summary>The largest accepted length.</summary>
    public int MaxLength { get; }
}
