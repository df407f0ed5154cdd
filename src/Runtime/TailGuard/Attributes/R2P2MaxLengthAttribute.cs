using System;

namespace TailGuard;

/// <summary>
/// Bounds a variable-length value of an <see cref="R2P2ServiceAttribute"/> method: the UTF-8 byte count of a
/// <see cref="string"/> parameter or result (default 4096), the capacity a client may ask of a <see cref="Span{T}"/>
/// destination parameter (default 65536), or the length of a <see cref="ReadOnlySpan{T}"/> argument (unbounded by
/// default). The dispatcher rejects a request that exceeds it; the client refuses to send one.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false, Inherited = false)]
public sealed class R2P2MaxLengthAttribute : Attribute
{
    /// <summary>Creates the bound.</summary>
    /// <param name="maxBytes">The largest accepted length in bytes; at least 0.</param>
    public R2P2MaxLengthAttribute(int maxBytes) => MaxBytes = maxBytes;

    /// <summary>The largest accepted length in bytes.</summary>
    public int MaxBytes { get; }
}
