using System;
using TailGuard;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>An echo as a generated service: the bytes come back through a destination written in the send buffer.</summary>
[R2P2Service]
internal interface IBenchEcho
{
    int Echo(ReadOnlySpan<byte> data, Span<byte> destination);
}

internal sealed class BenchEcho : IBenchEcho
{
    public int Echo(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        data.CopyTo(destination);
        return data.Length;
    }
}
