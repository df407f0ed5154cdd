using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace TailGuard.Boundary;

/// <summary>
/// One call as the caller's proxy makes it, used by generated proxies: writes the frame and the input buffers into the
/// shared region, switches, then validates the status and every returned length before the caller sees any result.
/// Always finish with <see cref="End"/> (generated code does so in a <c>finally</c>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct ProxyCall
{
    private readonly BoundaryChannel _channel;
    private readonly Span<byte> _shared;
    private int _next;

    private ProxyCall(BoundaryChannel channel, Span<byte> shared)
    {
        _channel = channel;
        _shared = shared;
        _next = channel.Layout.FrameSize;
    }

    /// <summary>Claims the channel (one core's, when <paramref name="channel"/> is a domain's several cores) and starts the frame of method <paramref name="methodId"/>.</summary>
    /// <param name="channel">The channel.</param>
    /// <param name="methodId">The method.</param>
    /// <returns>The call.</returns>
    public static ProxyCall Begin(BoundaryChannel channel, uint methodId)
    {
        ArgumentNullException.ThrowIfNull(channel);
        BoundaryChannel claimed = channel.Claim(out Span<byte> shared);
        shared[..claimed.Layout.FrameSize].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(shared[CallFrame.MethodIdOffset..], methodId);
        BinaryPrimitives.WriteInt32LittleEndian(shared[CallFrame.StatusOffset..], (int)CallStatus.Pending);
        return new ProxyCall(claimed, shared);
    }

    /// <summary>Writes a scalar argument into its slot.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="slot">The slot's offset in the frame.</param>
    /// <param name="value">The value.</param>
    public readonly void Scalar<T>(int slot, T value)
        where T : unmanaged => MemoryMarshal.Write(_shared.Slice(slot, Unsafe.SizeOf<T>()), in value);

    /// <summary>Copies an input (or in-out, or user-check) buffer into the data area and writes its descriptor.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">The descriptor's offset in the frame.</param>
    /// <param name="value">The caller's buffer.</param>
    /// <param name="maxCount">The declared bound.</param>
    /// <param name="name">The parameter's name, for the error.</param>
    public void In<T>(int slot, ReadOnlySpan<T> value, int maxCount, string name)
        where T : unmanaged
    {
        CheckBound(value.Length, maxCount, name);
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(value);
        bytes.CopyTo(Reserve(slot, bytes.Length));
    }

    /// <summary>Reserves an output buffer of the caller's length in the data area and writes its descriptor.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">The descriptor's offset in the frame.</param>
    /// <param name="length">The caller's buffer length, in elements.</param>
    /// <param name="maxCount">The declared bound.</param>
    /// <param name="name">The parameter's name, for the error.</param>
    public void Out<T>(int slot, int length, int maxCount, string name)
        where T : unmanaged
    {
        CheckBound(length, maxCount, name);
        Reserve(slot, length * Unsafe.SizeOf<T>()).Clear();
    }

    /// <summary>Encodes a string as NUL-terminated UTF-8 into the data area and writes its descriptor.</summary>
    /// <param name="slot">The descriptor's offset in the frame.</param>
    /// <param name="value">The string.</param>
    /// <param name="maxBytes">The declared bound in UTF-8 bytes.</param>
    /// <param name="name">The parameter's name, for the error.</param>
    public void Utf8String(int slot, string value, int maxBytes, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        int length = Encoding.UTF8.GetByteCount(value);
        CheckBound(length, maxBytes, name);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A string crossing a trust boundary cannot contain NUL.", name);
        }

        Span<byte> destination = Reserve(slot, length + 1);
        Encoding.UTF8.GetBytes(value, destination);
        destination[^1] = 0;
    }

    /// <summary>Switches into the callee and validates the status it wrote.</summary>
    /// <exception cref="BoundaryViolationException">The callee refused the call or answered malformed.</exception>
    /// <exception cref="BoundaryRevokedException">The callee was revoked.</exception>
    public readonly void Invoke()
    {
        _channel.Transition(_next);
        int status = BinaryPrimitives.ReadInt32LittleEndian(_shared[CallFrame.StatusOffset..]); // read once
        if (status == (int)CallStatus.Pending && _channel.SilenceMeansRevoked)
        {
            throw new BoundaryRevokedException("The trust domain did not answer: its call region was revoked.");
        }

        if (status == (int)CallStatus.Stopped && _channel.SilenceMeansRevoked)
        {
            throw new BoundaryRevokedException("The trust domain has stopped serving for good: its private memory is no longer a carved, exclusive region zeroed on revocation at the address it was given.");
        }

        if (status != (int)CallStatus.Ok)
        {
            CallStatus reason = status is > (int)CallStatus.Ok and < (int)CallStatus.Stopped or (int)CallStatus.Pending ? (CallStatus)status : CallStatus.MalformedReply;
            throw new BoundaryViolationException(
                reason,
                status == (int)CallStatus.Pending
                    ? "The trust domain did not answer the call."
                    : "The call across the trust boundary failed: " + reason + ".");
        }
    }

    /// <summary>
    /// Validates the returned length and copies an output or in-out buffer to the caller, once; then the values in the
    /// copy (a <see cref="decimal"/> with an invalid bit pattern: the buffer is cleared and the call refused).
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">The descriptor's offset in the frame.</param>
    /// <param name="destination">The caller's buffer.</param>
    public readonly void CopyOut<T>(int slot, Span<T> destination)
        where T : unmanaged
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(destination);
        uint returned = BinaryPrimitives.ReadUInt32LittleEndian(_shared[(slot + 4)..]); // read once, then only compared
        if (returned != (uint)bytes.Length)
        {
            throw new BoundaryViolationException(CallStatus.MalformedReply, "The callee returned " + returned + " bytes for a buffer of " + bytes.Length + ".");
        }

        // The proxy's own record of the offset, never the one in shared memory.
        _shared.Slice(_channel.Offsets[slot / CallFrame.Alignment], bytes.Length).CopyTo(bytes);

        // Validated in the caller's copy (read once): a refused value is not left behind for the caller to use.
        if (typeof(T) == typeof(decimal) && !ValueRules.AreValid(MemoryMarshal.Cast<T, decimal>(destination)))
        {
            bytes.Clear();
            throw new BoundaryViolationException(CallStatus.MalformedReply, "The callee returned a decimal with a scale above 28 or reserved bits set.");
        }
    }

    /// <summary>Reads the result from its slot, once.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <returns>The result.</returns>
    /// <exception cref="BoundaryViolationException">A <see cref="decimal"/> result with an invalid bit pattern (<see cref="CallStatus.MalformedReply"/>).</exception>
    public readonly T Result<T>()
        where T : unmanaged
    {
        T value = MemoryMarshal.Read<T>(_shared.Slice(CallFrame.HeaderSize, Unsafe.SizeOf<T>()));
        if (typeof(T) == typeof(decimal) && !ValueRules.IsValid(Unsafe.As<T, decimal>(ref value)))
        {
            throw new BoundaryViolationException(CallStatus.MalformedReply, "The callee returned a decimal with a scale above 28 or reserved bits set.");
        }

        return value;
    }

    /// <summary>Reads a <see cref="bool"/> result, once: any non-zero byte is true.</summary>
    /// <returns>The result.</returns>
    public readonly bool FlagResult() => _shared[CallFrame.HeaderSize] != 0;

    /// <summary>Releases the channel.</summary>
    public readonly void End() => _channel.Release();

    private Span<byte> Reserve(int slot, int length)
    {
        int offset = _next;
        int aligned = CallFrame.Align(length);
        if (aligned > _shared.Length - offset)
        {
            throw new InvalidOperationException("The call's buffers do not fit the shared region sized by their bounds.");
        }

        _next = offset + aligned;
        _channel.Offsets[slot / CallFrame.Alignment] = offset;
        BinaryPrimitives.WriteUInt32LittleEndian(_shared[slot..], (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(_shared[(slot + 4)..], (uint)length);
        return _shared.Slice(offset, length);
    }

    private static void CheckBound(int length, int max, string name)
    {
        if (length > max)
        {
            throw new ArgumentOutOfRangeException(name, length, "Longer than the bound declared with [Bounded(" + max + ")].");
        }
    }
}
