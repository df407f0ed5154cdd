using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using TailGuard.Fuzz.Harness;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Fuzz.Services;

/// <summary>
/// A request payload through the generated <c>FuzzContractDispatcher</c> (the generator's real output, its
/// <see cref="PayloadReader"/> calls). The first input byte chooses where the payload is cut into sequence segments; the
/// rest is the payload. Invariants: the status is what docs/wire-format.md says (decoded independently by
/// <see cref="WireModel"/>); the handler runs at most once, exactly when the request is well formed, with exactly the
/// arguments the bytes encode; the response is the status byte alone on every error; a destination answers with at
/// most its capacity; the answer is the same whether the payload is one segment or several, and whatever bytes lie
/// after it in memory (nothing past the payload is read).
/// </summary>
internal sealed class PayloadTarget : IFuzzTarget
{
    private readonly RecordingContract _contract = new();
    private readonly FuzzContractDispatcher _dispatcher;
    private readonly ArrayBufferWriter<byte> _response = new();

    public PayloadTarget()
    {
        _dispatcher = new FuzzContractDispatcher(_contract);
    }

    public string Name => "payload";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        int cut = input[0];
        ReadOnlySpan<byte> payload = input[1..];
        R2P2ServiceStatus expected = WireModel.Expect(payload, out Call? call);

        // The payload in an array followed by bytes that are not part of it: zeros, then 0xFF.
        byte[] zeros = Place(payload, 0x00);
        byte[] response = Dispatch(new ReadOnlySequence<byte>(zeros, 0, payload.Length), expected, call);
        byte[] ones = Place(payload, 0xFF);
        Invariant.Holds(Dispatch(new ReadOnlySequence<byte>(ones, 0, payload.Length), expected, call).AsSpan().SequenceEqual(response), "The answer depends on the bytes after the payload.");
        Invariant.Holds(Dispatch(Segments(payload, cut), expected, call).AsSpan().SequenceEqual(response), "The answer depends on how the payload is cut into segments.");
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        byte[] Request(string method, params byte[][] arguments)
        {
            var bytes = new List<byte> { 0x03, 0, 0 };
            BinaryPrimitives.WriteUInt16LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).Slice(1, 2), MethodId.FromName(method));
            foreach (byte[] argument in arguments)
            {
                bytes.AddRange(argument);
            }

            return bytes.ToArray();
        }

        byte[] U32(uint value) => BitConverter.GetBytes(value);
        byte[] Text(string text) => [.. U32((uint)System.Text.Encoding.UTF8.GetByteCount(text)), .. System.Text.Encoding.UTF8.GetBytes(text)];

        yield return ("ping", Request(nameof(IFuzzContract.Ping)));
        yield return ("scalars", Request(nameof(IFuzzContract.Scalars), [1, 2, 0xFE, 3, 0, 4, 0, 0x41, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]));
        yield return ("enums", Request(nameof(IFuzzContract.Enums), [200, 0, 0, 0, 0, 0, 0, 0, 0x80]));
        yield return ("structs", Request(nameof(IFuzzContract.Structs), new byte[16], BitConverter.GetBytes(0L), BitConverter.GetBytes(0L), U32(7), BitConverter.GetBytes(1.5f), BitConverter.GetBytes(9L)));
        yield return ("text", Request(nameof(IFuzzContract.Text), Text("héllo"), Text("wörld")));
        yield return ("bounded-too-long", Request(nameof(IFuzzContract.Bounded), Text("nine bytes")));
        yield return ("optional", Request(nameof(IFuzzContract.Optional), [1, 5, 0, 0, 0], [1, .. Text("x")], [0]));
        yield return ("bytes", Request(nameof(IFuzzContract.Bytes), [.. U32(3), 1, 2, 3], [.. U32(2), 9, 9]));
        yield return ("fill", Request(nameof(IFuzzContract.Fill), [.. U32(4), 1, 2, 3, 4], U32(8)));
        yield return ("fill-too-small", Request(nameof(IFuzzContract.Fill), [.. U32(4), 1, 2, 3, 4], U32(2)));
        yield return ("fail", Request(nameof(IFuzzContract.Fail), U32(1)));
        yield return ("unknown", [0, 0xFF, 0xFF]);
        yield return ("short", [0, 0x01]);
    }

    private static byte[] Place(ReadOnlySpan<byte> payload, byte after)
    {
        byte[] array = new byte[payload.Length + 64];
        array.AsSpan().Fill(after);
        payload.CopyTo(array);
        return array;
    }

    /// <summary>The payload as up to three segments, cut at positions the input chose.</summary>
    private static ReadOnlySequence<byte> Segments(ReadOnlySpan<byte> payload, int cut)
    {
        if (payload.Length < 2)
        {
            return new ReadOnlySequence<byte>(payload.ToArray());
        }

        int first = 1 + ((cut & 0x0F) % (payload.Length - 1));
        int second = first + ((cut >> 4) % (payload.Length - first + 1));
        var head = new Segment(payload[..first].ToArray(), 0);
        Segment tail = head.Append(payload[first..second].ToArray()).Append(payload[second..].ToArray());
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    private byte[] Dispatch(ReadOnlySequence<byte> payload, R2P2ServiceStatus expected, Call? call)
    {
        _contract.Clear();
        _response.ResetWrittenCount();
        _dispatcher.Handle(new R2P2Request(payload, requestId: 1, RoutingPolicy.LoadBalanced), _response);
        ReadOnlySpan<byte> response = _response.WrittenSpan;
        Invariant.Holds(!response.IsEmpty, "The dispatcher answered nothing.");
        var status = (R2P2ServiceStatus)response[0];
        Invariant.Holds(status == expected, $"The dispatcher answered {status}; the wire format says {expected}.");
        bool ran = expected is R2P2ServiceStatus.Ok or R2P2ServiceStatus.HandlerFailed or R2P2ServiceStatus.InvalidResult;
        Invariant.Holds(ran ? _contract.Calls == 1 : _contract.Calls == 0, $"The handler ran {_contract.Calls} times for a request answered {status}.");
        if (ran)
        {
            Invariant.Holds(_contract.Last!.Equals(call), $"The handler received {_contract.Last}; the bytes encode {call}.");
        }

        Invariant.Holds(status == R2P2ServiceStatus.Ok || response.Length == 1, $"The error {status} carries {response.Length - 1} more bytes.");
        if (status == R2P2ServiceStatus.Ok && call!.Method == nameof(IFuzzContract.Fill))
        {
            CheckFill(response[1..], call);
        }

        return response.ToArray();
    }

    /// <summary>A destination answers i32 result, u32 n, n bytes: the first result bytes when they fit, none otherwise.</summary>
    private static void CheckFill(ReadOnlySpan<byte> block, Call call)
    {
        byte[] source = Convert.FromHexString((string)call.Arguments[0]!);
        int capacity = (int)call.Arguments[1]!;
        Invariant.Holds(block.Length >= 8, "A destination's answer is cut short.");
        int result = BinaryPrimitives.ReadInt32LittleEndian(block);
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
        int expected = source.Length <= capacity ? source.Length : 0;
        Invariant.Holds(result == source.Length && n == expected && block.Length == 8 + expected && block[8..].SequenceEqual(source.AsSpan(0, expected)), $"Fill answered result {result}, {n} bytes for a {source.Length}-byte source and a {capacity}-byte destination.");
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
