using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.Tests.R2P2.Stubs;

/// <summary>
/// A buffer writer that hands out spans of exactly the size asked for (at least one byte) from fresh segments, so a
/// writer that caches spans is forced through its refill path on almost every value.
/// </summary>
internal sealed class SmallSpanBufferWriter : IBufferWriter<byte>
{
    private readonly List<byte[]> _committed = new();
    private byte[] _current = Array.Empty<byte>();

    public int GetSpanCalls { get; private set; }

    public byte[] WrittenBytes => _committed.SelectMany(b => b).ToArray();

    public void Advance(int count)
    {
        if (count < 0 || count > _current.Length)
        {
            throw new InvalidOperationException("Advanced past the span handed out.");
        }

        _committed.Add(_current.AsSpan(0, count).ToArray());
        _current = Array.Empty<byte>();
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        GetSpanCalls++;
        _current = new byte[Math.Max(sizeHint, 1)];
        return _current;
    }

    public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
}
