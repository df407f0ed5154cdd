using System;
using System.Buffers.Binary;

namespace TailGuard.Fuzz.Harness;

/// <summary>
/// Reads a fuzz input as a stream of choices (which datagram, which source, how long). Past the end every read gives
/// zeros, so any input, however short, is a complete script; <see cref="IsEmpty"/> ends the script's loop.
/// </summary>
internal ref struct FuzzInput
{
    private readonly ReadOnlySpan<byte> _bytes;
    private int _position;

    public FuzzInput(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
        _position = 0;
    }

    public readonly bool IsEmpty => _position >= _bytes.Length;

    public readonly int Remaining => Math.Max(0, _bytes.Length - _position);

    public byte Byte() => _position < _bytes.Length ? _bytes[_position++] : (byte)0;

    public ushort UInt16()
    {
        Span<byte> two = stackalloc byte[2];
        two[0] = Byte();
        two[1] = Byte();
        return BinaryPrimitives.ReadUInt16LittleEndian(two);
    }

    /// <summary>Up to <paramref name="count"/> bytes (fewer at the end of the input).</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        int take = Math.Min(count, Remaining);
        ReadOnlySpan<byte> slice = _bytes.Slice(Math.Min(_position, _bytes.Length), take);
        _position += take;
        return slice;
    }
}
