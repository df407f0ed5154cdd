using System;
using System.Buffers.Binary;

namespace TailGuard.Transport.Xdp.Netlink;

/// <summary>Builds one netlink request: the 16-byte header, a fixed family header, then attributes (4-byte aligned).</summary>
internal ref struct NetlinkWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public NetlinkWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    public void Header(ushort type, ushort flags, uint sequence)
    {
        _buffer[..NetlinkSocket.HeaderSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer[8..], sequence);
        _length = NetlinkSocket.HeaderSize;
    }

    /// <summary>Reserves <paramref name="size"/> zeroed bytes (the family header) and returns them to fill.</summary>
    public Span<byte> Reserve(int size)
    {
        var aligned = Align(size);
        var span = _buffer.Slice(_length, aligned);
        span.Clear();
        _length += aligned;
        return span[..size];
    }

    public void Attribute(ushort type, scoped ReadOnlySpan<byte> value)
    {
        var header = _buffer.Slice(_length, 4);
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], type);
        var body = _buffer.Slice(_length + 4, Align(value.Length));
        body.Clear();
        value.CopyTo(body);
        _length += 4 + Align(value.Length);
    }

    public void Attribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        Attribute(type, bytes);
    }

    /// <summary>Starts a nested attribute; pass the result to <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = _length;
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer[(_length + 2)..], (ushort)(type | 0x8000)); // NLA_F_NESTED
        _length += 4;
        return start;
    }

    public readonly void EndNested(int start) => BinaryPrimitives.WriteUInt16LittleEndian(_buffer[start..], (ushort)(_length - start));

    /// <summary>Writes the total length into the header and returns it.</summary>
    public readonly int Finish()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        return _length;
    }

    public static int Align(int length) => (length + 3) & ~3;
}

/// <summary>One netlink message of a reply.</summary>
internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(ReadOnlySpan<byte> raw)
    {
        Raw = raw;
    }

    public ReadOnlySpan<byte> Raw { get; }

    public ushort Type => BinaryPrimitives.ReadUInt16LittleEndian(Raw[4..]);

    public ushort Flags => BinaryPrimitives.ReadUInt16LittleEndian(Raw[6..]);

    public uint Sequence => BinaryPrimitives.ReadUInt32LittleEndian(Raw[8..]);

    public ReadOnlySpan<byte> Payload => Raw[NetlinkSocket.HeaderSize..];

    /// <summary>The attributes after a family header of <paramref name="familyHeaderSize"/> bytes.</summary>
    public NetlinkAttributes Attributes(int familyHeaderSize)
        => new(Payload.Length >= NetlinkWriter.Align(familyHeaderSize) ? Payload[NetlinkWriter.Align(familyHeaderSize)..] : default);
}

/// <summary>Walks the messages of a reply buffer; a malformed length ends the walk.</summary>
internal ref struct NetlinkReader
{
    private ReadOnlySpan<byte> _rest;

    public NetlinkReader(ReadOnlySpan<byte> buffer) => _rest = buffer;

    public bool TryNext(out NetlinkMessage message)
    {
        message = default;
        if (_rest.Length < NetlinkSocket.HeaderSize)
        {
            return false;
        }

        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_rest);
        if (length < NetlinkSocket.HeaderSize || length > _rest.Length)
        {
            _rest = default;
            return false;
        }

        message = new NetlinkMessage(_rest[..length]);
        _rest = _rest[Math.Min(NetlinkWriter.Align(length), _rest.Length)..];
        return true;
    }
}

/// <summary>The attributes (type, value) of a message or of a nested attribute.</summary>
internal readonly ref struct NetlinkAttributes
{
    private readonly ReadOnlySpan<byte> _bytes;

    public NetlinkAttributes(ReadOnlySpan<byte> bytes) => _bytes = bytes;

    public Enumerator GetEnumerator() => new(_bytes);

    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;

        public Enumerator(ReadOnlySpan<byte> bytes)
        {
            _rest = bytes;
            Current = default;
        }

        public NetlinkAttribute Current { get; private set; }

        public bool MoveNext()
        {
            if (_rest.Length < 4)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            if (length < 4 || length > _rest.Length)
            {
                _rest = default;
                return false;
            }

            Current = new NetlinkAttribute((ushort)(BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]) & 0x3FFF), _rest[4..length]);
            _rest = _rest[Math.Min(NetlinkWriter.Align(length), _rest.Length)..];
            return true;
        }
    }
}

/// <summary>One attribute: its type (flags masked off) and value.</summary>
internal readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        Type = type;
        Value = value;
    }

    public ushort Type { get; }

    public ReadOnlySpan<byte> Value { get; }

    public uint UInt32 => Value.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Value) : 0;

    public byte UInt8 => Value.Length >= 1 ? Value[0] : (byte)0;
}
