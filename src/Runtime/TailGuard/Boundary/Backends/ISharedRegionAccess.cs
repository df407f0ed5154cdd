using System;

namespace TailGuard.Boundary;

/// <summary>
/// What the host itself can do with a domain's shared call region, beyond the proxy: write and read it at will and
/// enter the domain on whatever it wrote. Every backend gives the host this much (the region is shared); tests use it
/// to play a hostile host against every backend the same way.
/// </summary>
internal interface ISharedRegionAccess
{
    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/> in the shared region.</summary>
    void HostWrite(int offset, ReadOnlySpan<byte> bytes);

    /// <summary>Reads the shared region at <paramref name="offset"/> into <paramref name="bytes"/>.</summary>
    void HostRead(int offset, Span<byte> bytes);

    /// <summary>Enters the domain on what the region holds now and returns when it has returned; false when the domain did not run the call (it trapped, or is gone).</summary>
    bool Enter();
}
