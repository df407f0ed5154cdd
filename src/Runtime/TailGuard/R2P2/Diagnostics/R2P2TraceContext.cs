using System;
using System.Buffers;
using System.Diagnostics;

namespace TailGuard.R2P2;

/// <summary>
/// A W3C trace context (trace id, parent span id, trace flags) in 26 bytes, for payloads: R2P2 has no headers, so a
/// request that should continue its caller's trace carries this block in its payload. Generated services opt in with
/// <c>[R2P2Service(TraceContext = true)]</c> and then carry it right after the method id (<see cref="Offset"/>); a
/// hand-written protocol may put it anywhere both ends agree on. Layout (docs/hosting.md, "Carrying a trace across
/// R2P2"): a presence byte (0: no context, the rest zero; 1: a context), the 16-byte trace id, the 8-byte span id, the
/// trace-flags byte. Trace state is not carried.
/// </summary>
public static class R2P2TraceContext
{
    /// <summary>The block's size in bytes.</summary>
    public const int Size = 1 + 16 + 8 + 1;

    /// <summary>Where a generated service's request carries the block: right after its 2-byte method id.</summary>
    public const int Offset = sizeof(ushort);

    private const byte Absent = 0;
    private const byte Present = 1;

    /// <summary>Writes <paramref name="context"/> (or "no context" when it is <c>default</c>).</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    /// <param name="context">The context to carry: usually the client span's.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/>.</exception>
    public static void Write(Span<byte> destination, in ActivityContext context)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A trace context needs {Size} bytes.", nameof(destination));
        }

        var block = destination[..Size];
        if (context == default)
        {
            block.Clear();
            return;
        }

        block[0] = Present;
        context.TraceId.CopyTo(block.Slice(1, 16));
        context.SpanId.CopyTo(block.Slice(17, 8));
        block[25] = (byte)context.TraceFlags;
    }

    /// <summary>Writes the context of <see cref="Activity.Current"/> (the client span while a generated client writes), or "no context".</summary>
    /// <param name="destination">At least <see cref="Size"/> bytes.</param>
    public static void WriteCurrent(Span<byte> destination) => Write(destination, Activity.Current?.Context ?? default);

    /// <summary>
    /// Reads a block. False when it says "no context", is shorter than <see cref="Size"/>, or is malformed (a presence
    /// byte other than 0 or 1, a zero trace or span id): a bad trace context is ignored, never an error of the call.
    /// </summary>
    /// <param name="source">The block.</param>
    /// <param name="context">The remote context, or <c>default</c>.</param>
    /// <returns>Whether a context was read.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, out ActivityContext context)
    {
        context = default;
        if (source.Length < Size || source[0] != Present)
        {
            return false;
        }

        var traceId = source.Slice(1, 16);
        var spanId = source.Slice(17, 8);
        if (!traceId.ContainsAnyExcept((byte)0) || !spanId.ContainsAnyExcept((byte)0))
        {
            return false;
        }

        context = new ActivityContext(
            ActivityTraceId.CreateFromBytes(traceId),
            ActivitySpanId.CreateFromBytes(spanId),
            (ActivityTraceFlags)(source[25] & (byte)ActivityTraceFlags.Recorded),
            traceState: null,
            isRemote: true);
        return true;
    }

    /// <summary>Reads the block at <paramref name="offset"/> of a request payload (which may span segments).</summary>
    internal static bool TryRead(in ReadOnlySequence<byte> payload, int offset, out ActivityContext context)
    {
        context = default;
        if (payload.Length < offset + Size)
        {
            return false;
        }

        var block = payload.Slice(offset, Size);
        if (block.IsSingleSegment)
        {
            return TryRead(block.FirstSpan, out context);
        }

        Span<byte> copy = stackalloc byte[Size];
        block.CopyTo(copy);
        return TryRead(copy, out context);
    }
}
