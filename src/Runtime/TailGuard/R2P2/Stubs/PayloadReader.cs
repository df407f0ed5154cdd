using System;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// Reads a generated service payload (see <c>docs/wire-format.md</c>) from one contiguous span. Every read is bounds
/// checked and reports failure instead of throwing, so a hostile payload can never raise an exception in a receive loop
/// or read outside the payload. Byte arguments come back as views into the payload, not copies.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _payload;
    private int _position;

    /// <summary>Starts reading at the first byte of <paramref name="payload"/>.</summary>
    /// <param name="payload">The whole payload.</param>
    public PayloadReader(ReadOnlySpan<byte> payload)
    {
        _payload = payload;
        _position = 0;
    }

    /// <summary>How many bytes were read so far.</summary>
    public readonly int Consumed => _position;

    /// <summary>How many bytes are left. Trailing bytes after the last argument are allowed (newer clients).</summary>
    public readonly int Remaining => _payload.Length - _position;

    /// <summary>Reads one byte.</summary>
    /// <param name="value">The byte, or 0 on failure.</param>
    /// <returns>False when the payload ended.</returns>
    public bool TryReadByte(out byte value)
    {
        if (_position < _payload.Length)
        {
            value = _payload[_position++];
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads one signed byte.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when the payload ended.</returns>
    public bool TryReadSByte(out sbyte value)
    {
        bool ok = TryReadByte(out byte raw);
        value = unchecked((sbyte)raw);
        return ok;
    }

    /// <summary>Reads a boolean: exactly 0 or 1; any other byte is malformed.</summary>
    /// <param name="value">The value, or false on failure.</param>
    /// <returns>False when the payload ended or the byte was neither 0 nor 1.</returns>
    public bool TryReadBoolean(out bool value)
    {
        if (TryReadByte(out byte raw) && raw <= 1)
        {
            value = raw == 1;
            return true;
        }

        value = false;
        return false;
    }

    /// <summary>Reads a little-endian 16-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 2 bytes are left.</returns>
    public bool TryReadInt16(out short value)
    {
        bool ok = TryTake(sizeof(short), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadInt16LittleEndian(bytes) : (short)0;
        return ok;
    }

    /// <summary>Reads a little-endian unsigned 16-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 2 bytes are left.</returns>
    public bool TryReadUInt16(out ushort value)
    {
        bool ok = TryTake(sizeof(ushort), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : (ushort)0;
        return ok;
    }

    /// <summary>Reads a UTF-16 code unit as a little-endian 16-bit value.</summary>
    /// <param name="value">The value, or '\0' on failure.</param>
    /// <returns>False when fewer than 2 bytes are left.</returns>
    public bool TryReadChar(out char value)
    {
        bool ok = TryReadUInt16(out ushort raw);
        value = (char)raw;
        return ok;
    }

    /// <summary>Reads a little-endian 32-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 4 bytes are left.</returns>
    public bool TryReadInt32(out int value)
    {
        bool ok = TryTake(sizeof(int), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>Reads a little-endian unsigned 32-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 4 bytes are left.</returns>
    public bool TryReadUInt32(out uint value)
    {
        bool ok = TryTake(sizeof(uint), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>Reads a little-endian 64-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 8 bytes are left.</returns>
    public bool TryReadInt64(out long value)
    {
        bool ok = TryTake(sizeof(long), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>Reads a little-endian unsigned 64-bit integer.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 8 bytes are left.</returns>
    public bool TryReadUInt64(out ulong value)
    {
        bool ok = TryTake(sizeof(ulong), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>Reads a little-endian IEEE 754 single.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 4 bytes are left.</returns>
    public bool TryReadSingle(out float value)
    {
        bool ok = TryTake(sizeof(float), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadSingleLittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>Reads a little-endian IEEE 754 double.</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns>False when fewer than 8 bytes are left.</returns>
    public bool TryReadDouble(out double value)
    {
        bool ok = TryTake(sizeof(double), out ReadOnlySpan<byte> bytes);
        value = ok ? BinaryPrimitives.ReadDoubleLittleEndian(bytes) : 0;
        return ok;
    }

    /// <summary>
    /// Reads an unmanaged struct as its in-memory bytes (<c>Unsafe.SizeOf&lt;T&gt;()</c> of them, unaligned). The layout
    /// is the sender's: both ends must share the struct definition and a little-endian CPU.
    /// </summary>
    /// <typeparam name="T">The struct.</typeparam>
    /// <param name="value">The value, or default on failure.</param>
    /// <returns>False when fewer than <c>Unsafe.SizeOf&lt;T&gt;()</c> bytes are left.</returns>
    public bool TryReadUnmanaged<T>(out T value)
        where T : unmanaged
    {
        bool ok = TryTake(Unsafe.SizeOf<T>(), out ReadOnlySpan<byte> bytes);
        value = ok ? MemoryMarshal.Read<T>(bytes) : default;
        return ok;
    }

    /// <summary>Reads a byte block: a little-endian u32 length, then that many bytes, returned as a view (no copy).</summary>
    /// <param name="value">The bytes, a slice of the payload; empty on failure.</param>
    /// <param name="maxBytes">The largest accepted length.</param>
    /// <returns>False when the length is missing, exceeds <paramref name="maxBytes"/> or runs past the payload.</returns>
    public bool TryReadBytes(out ReadOnlySpan<byte> value, int maxBytes = int.MaxValue)
    {
        int start = _position;
        if (TryReadLength(maxBytes, out int length) && TryTake(length, out value))
        {
            return true;
        }

        _position = start;
        value = default;
        return false;
    }

    /// <summary>Reads a string: a little-endian u32 byte count, then that many bytes of valid UTF-8.</summary>
    /// <param name="value">The decoded string, or the empty string on failure.</param>
    /// <param name="maxBytes">The largest accepted UTF-8 byte count.</param>
    /// <returns>False when the length exceeds <paramref name="maxBytes"/> or the payload, or the bytes are not valid UTF-8.</returns>
    public bool TryReadString(int maxBytes, out string value)
    {
        int start = _position;
        if (TryReadBytes(out ReadOnlySpan<byte> utf8, maxBytes) && Utf8.IsValid(utf8))
        {
            value = utf8.IsEmpty ? string.Empty : Encoding.UTF8.GetString(utf8);
            return true;
        }

        _position = start;
        value = string.Empty;
        return false;
    }

    /// <summary>
    /// Skips a request's trace context (<see cref="R2P2TraceContext"/>, 26 bytes): the server read it before the
    /// dispatcher ran, and a malformed one is ignored there, so only its length matters here.
    /// </summary>
    /// <returns>False when fewer than 26 bytes are left.</returns>
    public bool TrySkipTraceContext() => TryTake(R2P2TraceContext.Size, out _);

    /// <summary>Reads a little-endian u32 length (a byte count or a destination capacity) bounded by <paramref name="maxBytes"/>.</summary>
    /// <param name="maxBytes">The largest accepted value.</param>
    /// <param name="length">The length, or 0 on failure.</param>
    /// <returns>False when fewer than 4 bytes are left or the length exceeds <paramref name="maxBytes"/>.</returns>
    public bool TryReadLength(int maxBytes, out int length)
    {
        int start = _position;
        if (TryReadUInt32(out uint raw) && raw <= (uint)Math.Max(maxBytes, 0))
        {
            length = (int)raw;
            return true;
        }

        _position = start;
        length = 0;
        return false;
    }

    private bool TryTake(int count, out ReadOnlySpan<byte> bytes)
    {
        // Compared as unsigned so a negative count can never pass.
        if ((uint)count <= (uint)(_payload.Length - _position))
        {
            bytes = _payload.Slice(_position, count);
            _position += count;
            return true;
        }

        bytes = default;
        return false;
    }
}
