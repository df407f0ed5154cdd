using System;
using System.Buffers;
using System.ComponentModel;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// A payload as one span: the first segment itself when the sequence has one (the usual case, no copy), else a copy
/// into an array rented from <see cref="ArrayPool{T}.Shared"/> that <see cref="Dispose"/> returns.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct ContiguousPayload
{
    private byte[]? _rented;

    /// <summary>Makes <paramref name="payload"/> contiguous.</summary>
    /// <param name="payload">The payload.</param>
    public ContiguousPayload(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            _rented = null;
            Span = payload.FirstSpan;
        }
        else
        {
            // An R2P2 message is at most 65535 packets, far below 2 GiB, so the length always fits an int.
            int length = checked((int)payload.Length);
            _rented = ArrayPool<byte>.Shared.Rent(length);
            payload.CopyTo(_rented);
            Span = _rented.AsSpan(0, length);
        }
    }

    /// <summary>The payload bytes, valid until <see cref="Dispose"/>.</summary>
    public ReadOnlySpan<byte> Span { get; private set; }

    /// <summary>Returns the rented copy, if any.</summary>
    public void Dispose()
    {
        Span = default;
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }
    }
}
