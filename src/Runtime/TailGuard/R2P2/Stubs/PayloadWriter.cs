using System;
using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace TailGuard.R2P2.Stubs;

/// <summary>
/// Writes a generated service payload (see <c>docs/wire-format.md</c>) straight into pooled send buffers. It asks the
/// <see cref="IBufferWriter{T}"/> for a span only when the current one is full, so small values cost a bounds check;
/// call <see cref="Flush"/> once at the end to commit what was written.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct PayloadWriter
{
    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;

    /// <summary>Starts writing at the end of <paramref name="output"/>.</summary>
    /// <param name="output">The send buffers.</param>
    public PayloadWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = default;
        _buffered = 0;
    }

    /// <summary>Writes a response status byte.</summary>
    /// <param name="status">The status.</param>
    public void WriteStatus(R2P2ServiceStatus status) => WriteByte((byte)status);

    /// <summary>Writes one byte.</summary>
    /// <param name="value">The value.</param>
    public void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        _buffered += 1;
    }

    /// <summary>Writes one signed byte.</summary>
    /// <param name="value">The value.</param>
    public void WriteSByte(sbyte value) => WriteByte(unchecked((byte)value));

    /// <summary>Writes a boolean as 0 or 1.</summary>
    /// <param name="value">The value.</param>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes a little-endian 16-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16LittleEndian(Reserve(sizeof(short)), value);
        _buffered += sizeof(short);
    }

    /// <summary>Writes a little-endian unsigned 16-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(Reserve(sizeof(ushort)), value);
        _buffered += sizeof(ushort);
    }

    /// <summary>Writes a UTF-16 code unit as a little-endian 16-bit value.</summary>
    /// <param name="value">The value.</param>
    public void WriteChar(char value) => WriteUInt16(value);

    /// <summary>Writes a little-endian 32-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Reserve(sizeof(int)), value);
        _buffered += sizeof(int);
    }

    /// <summary>Writes a little-endian unsigned 32-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(sizeof(uint)), value);
        _buffered += sizeof(uint);
    }

    /// <summary>Writes a little-endian 64-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Reserve(sizeof(long)), value);
        _buffered += sizeof(long);
    }

    /// <summary>Writes a little-endian unsigned 64-bit integer.</summary>
    /// <param name="value">The value.</param>
    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Reserve(sizeof(ulong)), value);
        _buffered += sizeof(ulong);
    }

    /// <summary>Writes a little-endian IEEE 754 single.</summary>
    /// <param name="value">The value.</param>
    public void WriteSingle(float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(Reserve(sizeof(float)), value);
        _buffered += sizeof(float);
    }

    /// <summary>Writes a little-endian IEEE 754 double.</summary>
    /// <param name="value">The value.</param>
    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(Reserve(sizeof(double)), value);
        _buffered += sizeof(double);
    }

    /// <summary>Writes an unmanaged struct as its in-memory bytes (see <see cref="PayloadReader.TryReadUnmanaged{T}"/>).</summary>
    /// <typeparam name="T">The struct.</typeparam>
    /// <param name="value">The value.</param>
    public void WriteUnmanaged<T>(in T value)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        MemoryMarshal.Write(Reserve(size), in value);
        _buffered += size;
    }

    /// <summary>Writes a byte block: a little-endian u32 length, then the bytes.</summary>
    /// <param name="value">The bytes.</param>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Span<byte> target = Reserve(sizeof(uint) + value.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)value.Length);
        value.CopyTo(target.Slice(sizeof(uint)));
        _buffered += sizeof(uint) + value.Length;
    }

    /// <summary>
    /// Writes a string: a little-endian u32 UTF-8 byte count, then the UTF-8 bytes. Check the bound first with
    /// <see cref="FitsString"/>; an unpaired surrogate is encoded as U+FFFD, as <see cref="Encoding.UTF8"/> does.
    /// </summary>
    /// <param name="value">The string.</param>
    public void WriteString(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> target = Reserve(sizeof(uint) + count);
        BinaryPrimitives.WriteUInt32LittleEndian(target, (uint)count);
        Encoding.UTF8.GetBytes(value, target.Slice(sizeof(uint)));
        _buffered += sizeof(uint) + count;
    }

    /// <summary>
    /// Writes the trace context of <see cref="System.Diagnostics.Activity.Current"/> (<see cref="R2P2TraceContext"/>,
    /// 26 bytes), as requests of an <c>[R2P2Service(TraceContext = true)]</c> service carry it after the method id.
    /// </summary>
    public void WriteTraceContext()
    {
        R2P2TraceContext.WriteCurrent(Reserve(R2P2TraceContext.Size));
        _buffered += R2P2TraceContext.Size;
    }

    /// <summary>Whether <paramref name="value"/> is non-null and at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    /// <param name="value">The string.</param>
    /// <param name="maxBytes">The bound.</param>
    /// <returns>True when the string may be sent.</returns>
    public static bool FitsString([NotNullWhen(true)] string? value, int maxBytes)
        => value is not null && (value.Length <= maxBytes / 3 || Encoding.UTF8.GetByteCount(value) <= maxBytes);

    /// <summary>Commits everything written so far to the underlying writer.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _buffered = 0;
        }

        _span = default;
    }

    private Span<byte> Reserve(int size)
    {
        if (_span.Length - _buffered < size)
        {
            Grow(size);
        }

        return _span.Slice(_buffered, size);
    }

    private void Grow(int size)
    {
        Flush();
        _span = _output.GetSpan(size);
        if (_span.Length < size)
        {
            throw new InvalidOperationException("The buffer writer returned a span smaller than requested.");
        }
    }
}
