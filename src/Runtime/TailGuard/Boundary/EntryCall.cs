using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using System.Threading;

namespace TailGuard.Boundary;

/// <summary>
/// One call as the callee sees it, used by generated entries. Every field is read from the private copy of the frame,
/// never from the shared region; every input buffer is validated against the copy and copied once into private scratch;
/// output buffers are zero-filled private scratch, copied out once after the implementation returns.
/// Validation failures throw <see cref="BoundaryViolationException"/> before the implementation runs.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct EntryCall
{
    private readonly Span<byte> _shared;
    private readonly Span<byte> _frame;
    private readonly Span<byte> _scratch;
    private readonly CalleeContext? _callee;
    private int _used;

    /// <summary>
    /// Creates the call over the shared region and the callee's private frame copy and scratch, all memory the caller
    /// owns for the duration of the call (nothing can be revoked under it, so <see cref="EnsureRegionHeld"/> always holds).
    /// </summary>
    /// <param name="shared">The whole shared region.</param>
    /// <param name="frame">The private copy of the frame (already copied, exactly once).</param>
    /// <param name="scratch">Private scratch for buffer copies.</param>
    public EntryCall(Span<byte> shared, Span<byte> frame, Span<byte> scratch)
    {
        _shared = shared;
        _frame = frame;
        _scratch = scratch;
        _callee = null;
        _used = 0;
    }

    /// <summary>Creates a call over memory the backend may take away: <paramref name="callee"/> must still be current when results go out.</summary>
    internal EntryCall(Span<byte> shared, Span<byte> frame, Span<byte> scratch, CalleeContext callee)
        : this(shared, frame, scratch)
    {
        _callee = callee;
    }

    /// <summary>The method id, from the private copy.</summary>
    public readonly uint MethodId => BinaryPrimitives.ReadUInt32LittleEndian(_frame[CallFrame.MethodIdOffset..]);

    /// <summary>How many scratch bytes this call used (cleared after the call).</summary>
    public readonly int ScratchUsed => _used;

    /// <summary>Reads a scalar argument from the private copy.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="slot">Its slot's offset in the frame.</param>
    /// <returns>The value.</returns>
    /// <exception cref="BoundaryViolationException">A <see cref="decimal"/> with an invalid bit pattern (<see cref="CallStatus.InvalidValue"/>).</exception>
    public readonly T Scalar<T>(int slot)
        where T : unmanaged
    {
        T value = MemoryMarshal.Read<T>(_frame.Slice(slot, Unsafe.SizeOf<T>()));
        if (typeof(T) == typeof(decimal) && !ValueRules.IsValid(Unsafe.As<T, decimal>(ref value)))
        {
            throw Violation(CallStatus.InvalidValue, "a decimal has a scale above 28 or reserved bits set");
        }

        return value;
    }

    /// <summary>Reads a <see cref="bool"/> argument from the private copy: any non-zero byte is true (no invalid bool reaches the callee).</summary>
    /// <param name="slot">Its slot's offset in the frame.</param>
    /// <returns>The value.</returns>
    public readonly bool Flag(int slot) => _frame[slot] != 0;

    /// <summary>Validates an input buffer and returns its private copy.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="maxCount">The declared bound, in elements.</param>
    /// <returns>The private copy.</returns>
    /// <exception cref="BoundaryViolationException">The descriptor is invalid, or an element has an invalid bit pattern.</exception>
    public ReadOnlySpan<T> In<T>(int slot, int maxCount)
        where T : unmanaged => CopyIn<T>(slot, maxCount);

    /// <summary>Validates an output buffer and returns zero-filled private scratch of its declared length.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="maxCount">The declared bound, in elements.</param>
    /// <returns>The private, zeroed buffer the implementation writes.</returns>
    public Span<T> Out<T>(int slot, int maxCount)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(Copy(slot, maxCount, Unsafe.SizeOf<T>(), copyIn: false));

    /// <summary>Validates an in-out buffer and returns its private copy, which is copied out after the call.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="maxCount">The declared bound, in elements.</param>
    /// <returns>The private copy.</returns>
    /// <exception cref="BoundaryViolationException">The descriptor is invalid, or an element has an invalid bit pattern.</exception>
    public Span<T> InOut<T>(int slot, int maxCount)
        where T : unmanaged => CopyIn<T>(slot, maxCount);

    /// <summary>
    /// The <see cref="UserCheckAttribute"/> escape: validates the range once and returns a view of the shared region
    /// itself (no copy; the other side may change it at any time).
    /// </summary>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="maxLength">The declared bound in bytes.</param>
    /// <returns>The shared bytes.</returns>
    public readonly Span<byte> UserCheck(int slot, int maxLength)
    {
        Validate(slot, maxLength, 1, out int offset, out int length);
        return _shared.Slice(offset, length);
    }

    /// <summary>Validates a string (NUL-terminated UTF-8 within its bound) from its private copy and decodes it.</summary>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="maxBytes">The declared bound in UTF-8 bytes, terminator excluded.</param>
    /// <returns>The string (the one allocation a string parameter costs).</returns>
    public string Utf8String(int slot, int maxBytes)
    {
        ReadOnlySpan<byte> copy = Copy(slot, checked(maxBytes + 1), 1, copyIn: true);
        if (copy.Length == 0 || copy[^1] != 0)
        {
            throw Violation(CallStatus.InvalidString, "a string lacks its NUL terminator");
        }

        ReadOnlySpan<byte> text = copy[..^1];
        if (text.IndexOf((byte)0) >= 0)
        {
            throw Violation(CallStatus.InvalidString, "a string holds a NUL before its end");
        }

        if (!Utf8.IsValid(text))
        {
            throw Violation(CallStatus.InvalidString, "a string is not valid UTF-8");
        }

        return Encoding.UTF8.GetString(text);
    }

    /// <summary>The speculation and ordering barrier between the checks and the implementation.</summary>
    public static void Fence() => Interlocked.MemoryBarrier();

    /// <summary>Copies an output or in-out buffer out, once, with exactly its declared length, and records that length.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="slot">Its descriptor's offset in the frame.</param>
    /// <param name="result">The private buffer the implementation wrote.</param>
    public readonly void CopyOut<T>(int slot, ReadOnlySpan<T> result)
        where T : unmanaged
    {
        // The offset comes from the private copy, validated before the call: nothing is re-read from shared memory.
        int offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(_frame[slot..]);
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(result);
        bytes.CopyTo(_shared.Slice(offset, bytes.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(_shared[(slot + 4)..], (uint)bytes.Length);
    }

    /// <summary>Writes the result into its slot of the shared frame.</summary>
    /// <typeparam name="T">Its type.</typeparam>
    /// <param name="value">The result.</param>
    public readonly void Return<T>(T value)
        where T : unmanaged => MemoryMarshal.Write(_shared.Slice(CallFrame.HeaderSize, Unsafe.SizeOf<T>()), in value);

    /// <summary>
    /// Generated code calls this after the implementation returns: results go out only while the domain still holds the
    /// memory the call was served from (its mapping unchanged since the call began). Per call, so calls served at the
    /// same time from different memory never disable each other's check.
    /// </summary>
    /// <exception cref="BoundaryRevokedException">The domain's memory changed during the call; nothing is written.</exception>
    public readonly void EnsureRegionHeld()
    {
        if (_callee is { IsCurrent: false })
        {
            throw new BoundaryRevokedException("The domain's memory changed during the call (a region was revoked or replaced); no result is written.");
        }
    }

    /// <summary>Clears the private copies this call made (secrets do not linger in scratch).</summary>
    public readonly void ClearScratch() => _scratch[.._used].Clear();

    private Span<T> CopyIn<T>(int slot, int maxCount)
        where T : unmanaged
    {
        Span<T> copy = MemoryMarshal.Cast<byte, T>(Copy(slot, maxCount, Unsafe.SizeOf<T>(), copyIn: true));
        if (typeof(T) == typeof(decimal) && !ValueRules.AreValid(MemoryMarshal.Cast<T, decimal>(copy)))
        {
            throw Violation(CallStatus.InvalidValue, "a decimal element has a scale above 28 or reserved bits set");
        }

        return copy;
    }

    private Span<byte> Copy(int slot, int maxCount, int elementSize, bool copyIn)
    {
        Validate(slot, maxCount, elementSize, out int offset, out int length);
        int aligned = CallFrame.Align(length);
        if (aligned > _scratch.Length - _used)
        {
            throw Violation(CallStatus.LengthOverBound, "the buffers exceed the private scratch sized by their bounds");
        }

        Span<byte> copy = _scratch.Slice(_used, length);
        _used += aligned;
        if (copyIn)
        {
            _shared.Slice(offset, length).CopyTo(copy);
        }
        else
        {
            copy.Clear();
        }

        return copy;
    }

    private readonly void Validate(int slot, int maxCount, int elementSize, out int offset, out int length)
    {
        uint rawOffset = BinaryPrimitives.ReadUInt32LittleEndian(_frame[slot..]);
        uint rawLength = BinaryPrimitives.ReadUInt32LittleEndian(_frame[(slot + 4)..]);
        if (rawLength % (uint)elementSize != 0)
        {
            throw Violation(CallStatus.NotElementMultiple, "a buffer's byte length is not a multiple of its element size");
        }

        // 64-bit arithmetic: neither the product nor the sum can wrap around.
        if (rawLength / (uint)elementSize > (uint)maxCount)
        {
            throw Violation(CallStatus.LengthOverBound, "a buffer is longer than its declared bound");
        }

        ulong end = (ulong)rawOffset + rawLength;
        if (rawOffset < (uint)_frame.Length || end > (ulong)_shared.Length)
        {
            throw Violation(CallStatus.BufferOutOfRange, "a buffer does not lie inside the shared region's data area");
        }

        offset = (int)rawOffset;
        length = (int)rawLength;
    }

    private static BoundaryViolationException Violation(CallStatus status, string what)
        => new(status, "Call refused at the trust boundary: " + what + ".");
}
