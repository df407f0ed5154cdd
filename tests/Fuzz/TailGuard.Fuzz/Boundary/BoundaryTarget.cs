using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using TailGuard.Boundary;
using TailGuard.Fuzz.Harness;
using TailGuard.Fuzz.Services;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Fuzz.Boundary;

/// <summary>
/// The trust boundary's frame validation through a real generated entry (<c>FuzzDomainEntry</c>, the generator's
/// output for <see cref="IFuzzDomain"/>) in a sealed domain of the simulated monitor: a hostile host writes the whole
/// shared region (frame and data area) and switches in. The input's first byte picks the method id (including unknown
/// ones); then each parameter slot (a scalar's bytes, or a descriptor: near the data area, or raw offset and length);
/// the rest is the data area. Invariants: the status is what docs/trust-boundary.md's rules give for the first parameter
/// that breaks one (checked here independently); the implementation runs exactly when the call is valid, once, and sees
/// exactly the bytes the frame points at; nothing in the region changes but the status and, for a call that ran, the
/// result slot, the outputs and their length fields (each output exactly what the implementation wrote); every call is
/// counted (completed or refused, with its status); the domain keeps serving.
/// </summary>
internal sealed class BoundaryTarget : IFuzzTarget, IDisposable
{
    private static readonly Param[][] Methods =
    [
        [], // 0: not a method
        [Param.Buffer(FuzzDomainBoundary.M1_data, 1, 64), Param.Buffer(FuzzDomainBoundary.M1_wide, 8, 8)],
        [Param.Scalar(FuzzDomainBoundary.M2_value, 1), Param.Buffer(FuzzDomainBoundary.M2_destination, 1, 32, ParamKind.Out)],
        [Param.Scalar(FuzzDomainBoundary.M3_amount, 16, ParamKind.Decimal), Param.Buffer(FuzzDomainBoundary.M3_amounts, 16, 4, ParamKind.Decimals)],
        [],
        [Param.Scalar(FuzzDomainBoundary.M5_a, 4), Param.Scalar(FuzzDomainBoundary.M5_b, 8), Param.Scalar(FuzzDomainBoundary.M5_c, 8), Param.Scalar(FuzzDomainBoundary.M5_d, 2), Param.Scalar(FuzzDomainBoundary.M5_e, 1), Param.Scalar(FuzzDomainBoundary.M5_level, 2), Param.Scalar(FuzzDomainBoundary.M5_mark, 16)],
        [Param.Buffer(FuzzDomainBoundary.M6_values, 4, 16, ParamKind.InOut)],
        [Param.Buffer(FuzzDomainBoundary.M7_text, 1, 17, ParamKind.String), Param.Scalar(FuzzDomainBoundary.M7Present_maybe, 1, ParamKind.Presence), Param.Buffer(FuzzDomainBoundary.M7_maybe, 1, 9, ParamKind.String)],
    ];

    private static readonly int[] ResultSizes = [0, 4, 0, 4, 0, 8, 0, 4];

    private readonly SimulatedMonitor _monitor;
    private readonly RecordingDomain _domain = new();
    private readonly TrustDomainHost<IFuzzDomain> _host;
    private readonly byte[] _region;
    private readonly byte[] _after;

    public BoundaryTarget()
    {
        _monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 2 });
        _host = FuzzDomainBoundary.Host(_domain, new TrustDomainHostOptions { Monitor = _monitor });
        _region = new byte[Layout.RegionSize];
        _after = new byte[Layout.RegionSize];
    }

    private enum ParamKind
    {
        Value,
        Decimal,
        Presence,
        In,
        Decimals,
        String,
        Out,
        InOut,
    }

    private static BoundaryLayout Layout => FuzzDomainBoundary.Layout;

    public string Name => "boundary";

    public void Run(ReadOnlySpan<byte> bytes)
    {
        Array.Clear(_region);
        var input = new FuzzInput(bytes);
        uint method = (uint)(input.Byte() % (Methods.Length + 1)); // 0 and 8 are not methods
        BinaryPrimitives.WriteUInt32LittleEndian(_region, method);
        BinaryPrimitives.WriteInt32LittleEndian(_region.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        Param[] parameters = method < Methods.Length ? Methods[method] : [];
        foreach (Param p in parameters)
        {
            if (p.IsBuffer)
            {
                byte recipe = input.Byte();
                uint offset, length;
                if ((recipe & 0x80) != 0)
                {
                    offset = BinaryPrimitives.ReadUInt32LittleEndian(Pad(input.Bytes(4)));
                    length = BinaryPrimitives.ReadUInt32LittleEndian(Pad(input.Bytes(4)));
                }
                else
                {
                    offset = (uint)(Layout.FrameSize + (8 * (recipe & 0x3F)) - ((recipe & 0x40) != 0 ? 8 : 0));
                    length = input.Byte();
                }

                BinaryPrimitives.WriteUInt32LittleEndian(_region.AsSpan(p.Slot), offset);
                BinaryPrimitives.WriteUInt32LittleEndian(_region.AsSpan(p.Slot + 4), length);
            }
            else
            {
                input.Bytes(p.Size).CopyTo(_region.AsSpan(p.Slot));
            }
        }

        ReadOnlySpan<byte> data = input.Bytes(Layout.RegionSize - Layout.FrameSize);
        data.CopyTo(_region.AsSpan(Layout.FrameSize));

        CallStatus expected = Expect(method, parameters, out Call? call, out bool faults);
        BoundaryCounters before = _host.Counters;
        _domain.Clear();
        _monitor.HostWrite(_host.Region.SharedAddress, _region);
        TransitionResult result = _monitor.Transition(_host.Domain, _host.Core, 0);
        Invariant.Holds(result.Status == MonitorStatus.Success, $"The switch into the domain failed: {result.Status}.");
        _monitor.HostRead(_host.Region.SharedAddress, _after);
        var status = (CallStatus)BinaryPrimitives.ReadInt32LittleEndian(_after.AsSpan(CallFrame.StatusOffset));

        CallStatus want = faults ? CallStatus.ImplementationFault : expected;
        Invariant.Holds(status == want, $"Method {method} answered {status}; the frame rules say {want}.");
        bool ran = expected == CallStatus.Ok;
        Invariant.Holds(_domain.Calls == (ran ? 1 : 0), $"The implementation ran {_domain.Calls} times for a call answered {status}.");
        if (ran)
        {
            Invariant.Holds(_domain.Last!.Equals(call), $"The implementation received {_domain.Last}; the frame holds {call}.");
        }

        CheckRegion(method, parameters, status);
        BoundaryCounters counters = _host.Counters;
        Invariant.Holds(counters.Completed + counters.Refused == before.Completed + before.Refused + 1 && counters.LastStatus == status, $"The call was not counted once with its status ({before} -> {counters}).");
        Invariant.Holds(status != CallStatus.Ok || counters.Completed == before.Completed + 1, "A call answered Ok was not counted as completed.");
        Invariant.Holds(_host.StopReason is null, $"The domain stopped serving: {_host.StopReason}.");
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        byte near = 0; // a descriptor at the start of the data area
        yield return ("ping", [4]);
        yield return ("bytes", [1, near, 3, 0x08, 16, 1, 2, 3, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        yield return ("fill", [2, 0x5A, 0, 0, 0, 0, 0, 0, 0, near, 16]);
        yield return ("fill-faulting", [2, RecordingDomain.Faulting, 0, 0, 0, 0, 0, 0, 0, near, 4]);
        byte[] one = new byte[16];
        MemoryMarshal.Write(one, 1.5m);
        yield return ("money", [3, .. one, near, 16, .. one]);
        yield return ("scalars", [5, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x41, 0, 1, 2, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0]);
        yield return ("swap", [6, near, 8, 1, 0, 0, 0, 2, 0, 0, 0]);
        yield return ("text", [7, near, 4, 1, 0x02, 3, (byte)'a', (byte)'b', (byte)'c', 0, 0, 0, 0, 0, (byte)'x', (byte)'y', 0]);
        yield return ("raw-overflow", [1, 0x80, 0xF0, 0xFF, 0xFF, 0xFF, 0x20, 0, 0, 0, near, 0]);
        yield return ("unknown", [8]);
    }

    public void Dispose()
    {
        _host.Dispose();
        _monitor.Dispose();
    }

    private static ReadOnlySpan<byte> Pad(ReadOnlySpan<byte> bytes)
    {
        byte[] four = new byte[4];
        bytes.CopyTo(four);
        return four;
    }

    /// <summary>docs/trust-boundary.md, "What is validated": the status of the first parameter that breaks a rule, and the call the implementation must see.</summary>
    private CallStatus Expect(uint method, Param[] parameters, out Call? call, out bool faults)
    {
        call = null;
        faults = false;
        if (method is 0 or >= 8)
        {
            return CallStatus.UnknownMethod;
        }

        var arguments = new List<object?>();
        bool present = true;
        foreach (Param p in parameters)
        {
            ReadOnlySpan<byte> slot = _region.AsSpan(p.Slot);
            switch (p.Kind)
            {
                case ParamKind.Value:
                    arguments.Add(p.Size switch { 1 => slot[0], 2 => (object)BinaryPrimitives.ReadInt16LittleEndian(slot), 4 => BinaryPrimitives.ReadInt32LittleEndian(slot), 8 => BinaryPrimitives.ReadInt64LittleEndian(slot), _ => MemoryMarshal.Read<Mark>(slot) });
                    continue;
                case ParamKind.Presence:
                    present = slot[0] != 0;
                    continue;
                case ParamKind.Decimal:
                    if (!ValidDecimal(slot))
                    {
                        return CallStatus.InvalidValue;
                    }

                    arguments.Add(Convert.ToHexString(slot[..16]));
                    continue;
            }

            if (p.Kind == ParamKind.String && !present)
            {
                arguments.Add(null);
                continue;
            }

            uint offset = BinaryPrimitives.ReadUInt32LittleEndian(slot);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]);
            if (length % p.Element != 0)
            {
                return CallStatus.NotElementMultiple;
            }

            if (length / p.Element > p.Bound)
            {
                return CallStatus.LengthOverBound;
            }

            if (offset < Layout.FrameSize || (ulong)offset + length > (ulong)Layout.RegionSize)
            {
                return CallStatus.BufferOutOfRange;
            }

            ReadOnlySpan<byte> bytes = _region.AsSpan((int)offset, (int)length);
            switch (p.Kind)
            {
                case ParamKind.Decimals:
                    for (int i = 0; i < bytes.Length; i += 16)
                    {
                        if (!ValidDecimal(bytes[i..]))
                        {
                            return CallStatus.InvalidValue;
                        }
                    }

                    arguments.Add(Convert.ToHexString(bytes));
                    break;
                case ParamKind.String:
                    if (bytes.IsEmpty || bytes[^1] != 0 || bytes[..^1].Contains((byte)0) || !Utf8.IsValid(bytes[..^1]))
                    {
                        return CallStatus.InvalidString;
                    }

                    arguments.Add(Encoding.UTF8.GetString(bytes[..^1]));
                    break;
                case ParamKind.Out:
                    arguments.Add((int)length);
                    arguments.Add(new string('0', 2 * (int)length)); // zero-filled scratch
                    break;
                default:
                    arguments.Add(Convert.ToHexString(bytes));
                    break;
            }
        }

        // Scalars' arguments in the implementation's recorded form.
        if (method == 5)
        {
            arguments[2] = (long)arguments[2]!; // the double's bits
            arguments[3] = (char)(short)arguments[3]!;
            arguments[4] = (byte)arguments[4]! != 0;
        }

        string name = new[] { "", "Bytes", "Fill", "Money", "Ping", "Scalars", "Swap", "Text" }[method];
        call = new Call(name, [.. arguments]);
        faults = method == 2 && (byte)arguments[0]! == RecordingDomain.Faulting;
        return CallStatus.Ok;
    }

    private static bool ValidDecimal(ReadOnlySpan<byte> bytes)
    {
        int flags = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        return (flags & 0x7F00FFFF) == 0 && ((flags >> 16) & 0xFF) <= 28;
    }

    /// <summary>Only the status, and for a call that ran the result slot and the outputs (with their lengths), may change.</summary>
    private void CheckRegion(uint method, Param[] parameters, CallStatus status)
    {
        byte[] expected = (byte[])_region.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(expected.AsSpan(CallFrame.StatusOffset), (int)status);
        if (status == CallStatus.Ok)
        {
            _after.AsSpan(CallFrame.HeaderSize, ResultSizes[method]).CopyTo(expected.AsSpan(CallFrame.HeaderSize));
            foreach (Param p in parameters.Where(p => p.Kind is ParamKind.Out or ParamKind.InOut))
            {
                int offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(_region.AsSpan(p.Slot));
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(_region.AsSpan(p.Slot + 4));
                Span<byte> output = expected.AsSpan(offset, length);
                if (method == 2)
                {
                    output.Fill(_region[p.Slot - 8]); // Fill's value slot precedes the destination
                }
                else
                {
                    MemoryMarshal.Cast<byte, int>(output).Reverse();
                }
            }

            CheckResult(method);
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Invariant.Holds(expected[i] == _after[i], $"Byte {i} of the shared region is {_after[i]:X2} after a call answered {status}; it should be {expected[i]:X2}.");
        }
    }

    private void CheckResult(uint method)
    {
        Call call = _domain.Last!;
        long? result = method switch
        {
            1 => (((string)call.Arguments[0]!).Length / 2 * 100) + (((string)call.Arguments[1]!).Length / 16),
            3 => ((string)call.Arguments[1]!).Length / 32,
            5 => (int)call.Arguments[0]! ^ (long)call.Arguments[1]!,
            7 => (((string)call.Arguments[0]!).Length * 100) + (((string?)call.Arguments[1])?.Length ?? 99),
            _ => null,
        };
        if (result is { } value)
        {
            long written = ResultSizes[method] == 8 ? BinaryPrimitives.ReadInt64LittleEndian(_after.AsSpan(CallFrame.HeaderSize)) : BinaryPrimitives.ReadInt32LittleEndian(_after.AsSpan(CallFrame.HeaderSize));
            Invariant.Holds(written == value, $"Method {method} wrote result {written}; the implementation returned {value}.");
        }
    }

    private readonly record struct Param(int Slot, int Size, ParamKind Kind, int Element, int Bound)
    {
        public bool IsBuffer => Kind is ParamKind.In or ParamKind.Decimals or ParamKind.String or ParamKind.Out or ParamKind.InOut;

        public static Param Scalar(int slot, int size, ParamKind kind = ParamKind.Value) => new(slot, size, kind, 0, 0);

        public static Param Buffer(int slot, int element, int bound, ParamKind kind = ParamKind.In) => new(slot, CallFrame.DescriptorSize, kind, element, bound);
    }
}
