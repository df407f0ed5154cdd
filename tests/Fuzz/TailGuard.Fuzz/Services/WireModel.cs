using System;
using System.Buffers.Binary;
using System.Text;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Fuzz.Services;

/// <summary>
/// The payload format of docs/wire-format.md decoded independently of <see cref="PayloadReader"/> and the generator,
/// for <see cref="IFuzzContract"/>: what status a request must get and, when the handler runs, what it must receive.
/// </summary>
internal ref struct WireModel
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _payload;
    private int _at;
    private bool _bad;

    private WireModel(ReadOnlySpan<byte> payload)
    {
        _payload = payload;
        _at = 2;
    }

    /// <summary>The status the dispatcher must answer, the call the handler must see (when it runs), and the result block expected for Fill.</summary>
    public static R2P2ServiceStatus Expect(ReadOnlySpan<byte> payload, out Call? call)
    {
        call = null;
        if (payload.Length < 2)
        {
            return R2P2ServiceStatus.MalformedRequest;
        }

        ushort id = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        var m = new WireModel(payload);
        string? method = Method(id);
        object?[]? arguments = method switch
        {
            nameof(IFuzzContract.Ping) => [],
            nameof(IFuzzContract.Scalars) => [m.Bool(), m.U8(), (sbyte)m.U8(), (short)m.U16(), m.U16(), (char)m.U16(), (int)m.U32(), m.U32(), (long)m.U64(), m.U64(), (int)m.U32(), (long)m.U64()],
            nameof(IFuzzContract.Enums) => [m.U8(), (long)m.U64()],
            nameof(IFuzzContract.Structs) => [new Guid(m.Raw(16)), Convert.ToHexString(m.Raw(16)), (int)m.U32(), (int)m.U32(), (long)m.U64()],
            nameof(IFuzzContract.Text) => [m.Text(4096), m.Text(16)],
            nameof(IFuzzContract.Bounded) => [m.Text(4096)],
            nameof(IFuzzContract.Optional) => [m.Present() ? (int)m.U32() : null, m.Present() ? m.Text(4096) : null, m.Present() ? new Guid(m.Raw(16)) : null],
            nameof(IFuzzContract.Bytes) => [Convert.ToHexString(m.Block(64)), Convert.ToHexString(m.Block(int.MaxValue))],
            nameof(IFuzzContract.Fill) => [Convert.ToHexString(m.Block(int.MaxValue)), m.Capacity(32)],
            nameof(IFuzzContract.Fail) => [(int)m.U32()],
            _ => null,
        };

        if (arguments is null)
        {
            return R2P2ServiceStatus.UnknownMethod;
        }

        if (m._bad)
        {
            return R2P2ServiceStatus.MalformedArguments;
        }

        call = new Call(method!, arguments);
        return method switch
        {
            nameof(IFuzzContract.Fail) => R2P2ServiceStatus.HandlerFailed,
            nameof(IFuzzContract.Bounded) when Encoding.UTF8.GetByteCount((string)arguments[0]!) > 8 => R2P2ServiceStatus.InvalidResult,
            nameof(IFuzzContract.Text) when Encoding.UTF8.GetByteCount((string)arguments[0]! + (string)arguments[1]!) > 4096 => R2P2ServiceStatus.InvalidResult,
            _ => R2P2ServiceStatus.Ok,
        };
    }

    private static string? Method(ushort id)
    {
        foreach (string name in (string[])[nameof(IFuzzContract.Ping), nameof(IFuzzContract.Scalars), nameof(IFuzzContract.Enums), nameof(IFuzzContract.Structs), nameof(IFuzzContract.Text), nameof(IFuzzContract.Bounded), nameof(IFuzzContract.Optional), nameof(IFuzzContract.Bytes), nameof(IFuzzContract.Fill), nameof(IFuzzContract.Fail)])
        {
            if (MethodId.FromName(name) == id)
            {
                return name;
            }
        }

        return null;
    }

    private ReadOnlySpan<byte> Raw(int count)
    {
        if (_bad || _payload.Length - _at < count)
        {
            _bad = true;
            return new byte[count];
        }

        ReadOnlySpan<byte> bytes = _payload.Slice(_at, count);
        _at += count;
        return bytes;
    }

    private byte U8() => Raw(1)[0];

    private ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Raw(2));

    private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Raw(4));

    private ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Raw(8));

    private bool Bool()
    {
        byte b = U8();
        _bad |= b > 1;
        return b == 1;
    }

    private bool Present() => Bool();

    private ReadOnlySpan<byte> Block(int max)
    {
        uint length = U32();
        if (_bad || length > (uint)max || length > (uint)(_payload.Length - _at))
        {
            _bad = true;
            return [];
        }

        return Raw((int)length);
    }

    private int Capacity(int max)
    {
        uint capacity = U32();
        _bad |= capacity > (uint)max;
        return _bad ? 0 : (int)capacity;
    }

    private string Text(int max)
    {
        ReadOnlySpan<byte> bytes = Block(max);
        if (_bad)
        {
            return string.Empty;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            _bad = true;
            return string.Empty;
        }
    }
}
