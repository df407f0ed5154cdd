using System;
using TailGuard;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>The architecture's key-value contract: arguments are views, reads write straight into the send buffer.</summary>
[R2P2Service]
internal interface IStore
{
    bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Copies the value into <paramref name="destination"/>; -1 when absent, -size when it does not fit.</summary>
    int Get(ReadOnlySpan<byte> key, Span<byte> destination);
}
