using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using TailGuard.Fuzz.Harness;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Fuzz.R2P2;

/// <summary>
/// The server's receive path without I/O (<see cref="ServerProtocol"/> with its <see cref="RequestReassembler"/>) fed
/// a sequence of datagrams from four sources, with timer ticks between them. Invariants: every delivered request is
/// whole (its FIRST packet, then packets 1..N-1 of the same source and rid, in order, each payload intact) and each
/// datagram is delivered at most once; a bad header is rejected as such; the pending count and held bytes stay within
/// their bounds at every step; a request holds an admission only once it is whole (each admission is a delivery, which
/// the harness releases); every request that stops pending is delivered, refused after its ACK, expired or counted as
/// discarded by the event; every buffer goes back exactly once (none leaked when the loop stops).
/// </summary>
internal sealed class ReassemblerTarget : IFuzzTarget
{
    private const int BufferCapacity = 64;
    private const int RequestIds = 8;

    private static readonly PacketAddress[] Sources =
    [
        new(0x0A000001, 5000),
        new(0x0A000002, 5000),
        new(0x0A000001, 5001),
        PacketAddress.Parse("[fd00::1]:5000"),
    ];

    private static readonly R2P2ServerOptions Options = new()
    {
        PayloadSize = 32,
        MaxRequestBytes = 320, // 11 packets: a FIRST announcing more is TooLarge
        MaxPendingReassemblies = 4,
        MaxReassemblyBytes = BufferCapacity * 12,
        MaxPendingReassembliesPerSource = 3,
        MaxReassemblyBytesPerSource = BufferCapacity * 8,
        ReassemblyTimeout = TimeSpan.FromMilliseconds(1),
    };

    private readonly CountingBufferOwner _buffers = new(BufferCapacity);
    private readonly List<Sent> _sent = [];
    private readonly HashSet<int> _delivered = [];
    private readonly RecordingAdmission _admission = new();

    public string Name => "reassembler";

    public void Run(ReadOnlySpan<byte> bytes)
    {
        _sent.Clear();
        _delivered.Clear();
        _admission.Reset();
        var protocol = new ServerProtocol(new R2P2ServerOptions
        {
            PayloadSize = Options.PayloadSize,
            MaxRequestBytes = Options.MaxRequestBytes,
            MaxPendingReassemblies = Options.MaxPendingReassemblies,
            MaxReassemblyBytes = Options.MaxReassemblyBytes,
            MaxPendingReassembliesPerSource = Options.MaxPendingReassembliesPerSource,
            MaxReassemblyBytesPerSource = Options.MaxReassemblyBytesPerSource,
            ReassemblyTimeout = Options.ReassemblyTimeout,
            AdmissionPolicy = _admission,
        });
        var input = new FuzzInput(bytes);
        long now = 1;
        Span<byte> datagram = stackalloc byte[BufferCapacity];
        while (!input.IsEmpty)
        {
            byte op = input.Byte();
            if ((op & 0xC0) == 0xC0)
            {
                now += (op & 0x3F) * (Stopwatch.Frequency / 4000); // up to ~16 ms: before and past the timeout
                int pendingBefore = protocol.PendingReassemblies;
                int expired = protocol.Expire(now);
                Invariant.Holds(protocol.PendingReassemblies == pendingBefore - expired, $"Expire reported {expired} discards; {pendingBefore - protocol.PendingReassemblies} requests went.");
                CheckBounds(protocol);
                continue;
            }

            PacketAddress source = Sources[op & 3];
            int serial = _sent.Count;
            int length = DatagramScript.Write(ref input, op, MessageType.Request, RequestIds, serial, datagram);
            HeaderStatus status = R2P2Header.TryRead(datagram[..length], out R2P2Header header);
            _sent.Add(new Sent(source, status, header, length - R2P2Header.Size));
            _admission.Refuse = (op & 0x30) == 0x30 && header.RequestId == RequestIds - 1;

            PacketBuffer packet = _buffers.Datagram(datagram[..length], source);
            int pending = protocol.PendingReassemblies;
            ServerEvent e = protocol.Receive(packet, now);
            Check(e, status, header, source, serial);
            CheckAccounting(e, header, pending, protocol.PendingReassemblies);
            if (e.Kind == ServerEventKind.Deliver)
            {
                _admission.Release(new R2P2AdmissionRequest(e.RequestId, e.Client, e.Policy), byProtocol: false); // the handler answered
            }

            // A request holds an admission only once it is whole, and a whole request is delivered at once.
            Invariant.Holds(_admission.Admitted == 0, $"{_admission.Admitted} admissions are held by requests that were not delivered.");

            if (!e.KeepsPacket)
            {
                packet.Return();
            }

            CheckBounds(protocol);
        }

        protocol.Clear();
        Invariant.Holds(protocol.PendingReassemblies == 0 && protocol.PendingReassemblyBytes == 0, "Clear left requests pending.");
        Invariant.Holds(_buffers.Outstanding == 0, $"{_buffers.Outstanding} packet buffers were never returned.");
        Invariant.Holds(_admission.Admitted == 0, $"{_admission.Admitted} admitted requests were never released.");
    }

    public IEnumerable<(string Name, byte[] Bytes)> Seeds()
    {
        // op: source in bits 0-1, shape in bits 2-3 (0 FIRST, 1 middle, 2 LAST, 3 single); then policy byte, rid, order, payload length.
        yield return ("single", [0x0C, 0x00, 0x01, 0x01, 0x04]);
        yield return ("three-packets", [0x00, 0x00, 0x02, 0x03, 0x0A, 0x04, 0x00, 0x02, 0x01, 0x1F, 0x08, 0x00, 0x02, 0x02, 0x03]);
        yield return ("reordered", [0x00, 0x00, 0x02, 0x03, 0x0A, 0x08, 0x00, 0x02, 0x02, 0x03, 0x04, 0x00, 0x02, 0x01, 0x1F]);
        yield return ("interleaved-sources", [0x00, 0x00, 0x01, 0x02, 0x01, 0x01, 0x00, 0x01, 0x02, 0x01, 0x09, 0x00, 0x01, 0x01, 0x05, 0x08, 0x00, 0x01, 0x01, 0x05]);
        yield return ("expired", [0x00, 0x00, 0x02, 0x03, 0x0A, 0xFF, 0x08, 0x00, 0x02, 0x02, 0x03]);
        yield return ("raw", [0x40, 0x08, 0xCC, 0x08, 0x00, 0xC0, 0x00, 0x05, 0x00, 0x01, 0x02]);
    }

    private static void CheckBounds(ServerProtocol protocol)
    {
        Invariant.Holds(protocol.PendingReassemblies <= Options.MaxPendingReassemblies, $"{protocol.PendingReassemblies} requests pending, above the bound.");
        Invariant.Holds(protocol.PendingReassemblyBytes <= Options.MaxReassemblyBytes, $"{protocol.PendingReassemblyBytes} bytes held, above the bound.");
        Invariant.Holds(protocol.PeakReassemblyBytes <= Options.MaxReassemblyBytes, $"A peak of {protocol.PeakReassemblyBytes} bytes held, above the bound.");
    }

    /// <summary>Every request that stops pending is delivered, refused after its ACK, or counted as discarded in the event.</summary>
    private static void CheckAccounting(in ServerEvent e, in R2P2Header header, int before, int after)
    {
        int began = e.Kind == ServerEventKind.Acknowledge ? 1 : 0;
        int ended = (e.Kind == ServerEventKind.Deliver && !header.IsSinglePacket) || e.Rejection == RequestRejection.RefusedAfterAck ? 1 : 0;
        Invariant.Holds(after == before + began - ended - e.Discarded, $"{before} requests pending before a datagram ({e.Kind}/{e.Rejection}, {e.Discarded} discarded), {after} after.");
    }

    private void Check(in ServerEvent e, HeaderStatus status, in R2P2Header header, PacketAddress source, int serial)
    {
        if (status != HeaderStatus.Valid)
        {
            Invariant.Holds(e.Kind == ServerEventKind.Rejected && e.Rejection == RequestRejection.BadHeader && e.HeaderStatus == status, $"A datagram with a bad header ({status}) gave {e.Kind}/{e.Rejection}.");
            return;
        }

        Invariant.Holds(e.Kind != ServerEventKind.Rejected || e.Rejection != RequestRejection.None, "A rejection without a reason.");
        Invariant.Holds(e.Kind == ServerEventKind.Rejected || (header.Type == MessageType.Request && e.Client == source), $"{e.Kind} for a datagram that is not a request from its source.");
        if (e.Kind != ServerEventKind.Deliver)
        {
            return;
        }

        Invariant.Holds(e.RequestId == header.RequestId, "A request was delivered under another rid.");
        byte[] payload = e.Payload.ToArray();
        if (header.IsSinglePacket)
        {
            Deliver(serial, payload, "a one-packet request");
            Invariant.Holds(payload.Length == _sent[serial].PayloadLength, "A one-packet request was delivered with extra bytes.");
            return;
        }

        // A reassembled request: segment by segment, each the whole payload of one datagram, FIRST then 1..N-1.
        int offset = 0;
        int index = 0;
        int count = 0;
        while (offset < payload.Length)
        {
            Invariant.Holds(payload.Length - offset >= DatagramScript.SerialSize, "A reassembled request ends inside a datagram's payload.");
            int part = BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(offset));
            Invariant.Holds(part >= 0 && part <= serial, $"A reassembled request holds bytes of no datagram (serial {part}).");
            Sent sent = _sent[part];
            Invariant.Holds(sent.Source == e.Client && sent.Header.RequestId == e.RequestId && sent.Header.Type == MessageType.Request, $"Datagram {part} of another source or rid was reassembled into this request.");
            if (index == 0)
            {
                Invariant.Holds(sent.Header.IsFirst && !sent.Header.IsLast, $"A reassembled request does not start with its FIRST packet (datagram {part}).");
                count = sent.Header.PacketOrder;
                Invariant.Holds(sent.Header.Policy == e.Policy, "A reassembled request has another policy than its FIRST packet.");
            }
            else
            {
                Invariant.Holds(!sent.Header.IsFirst && sent.Header.PacketOrder == index && sent.Header.IsLast == (index == count - 1), $"Packet {index} of a reassembled request is datagram {part}, numbered {sent.Header.PacketOrder}.");
            }

            Deliver(part, payload.AsSpan(offset), "a reassembled request");
            offset += sent.PayloadLength;
            index++;
        }

        Invariant.Holds(index == count && count >= 2, $"A request announced {count} packets and was delivered with {index}.");
    }

    private void Deliver(int serial, ReadOnlySpan<byte> payload, string what)
    {
        Invariant.Holds(_delivered.Add(serial), $"Datagram {serial} was delivered twice.");
        DatagramScript.CheckPayload(payload, serial, _sent[serial].PayloadLength, what);
    }

    private readonly record struct Sent(PacketAddress Source, HeaderStatus Status, R2P2Header Header, int PayloadLength);

    /// <summary>
    /// An admission policy that refuses on demand and checks that every release matches one admission of the same rid,
    /// client and routing policy (a hostile client may reuse a rid, so one key may be admitted more than once at a time).
    /// </summary>
    private sealed class RecordingAdmission : IR2P2AdmissionPolicy
    {
        private readonly Dictionary<R2P2AdmissionRequest, int> _admitted = [];

        public bool Refuse { get; set; }

        public int Admitted { get; private set; }

        public long ReleasedByProtocol { get; private set; }

        public void Reset()
        {
            _admitted.Clear();
            Admitted = 0;
            ReleasedByProtocol = 0;
            Refuse = false;
        }

        public bool TryAdmit(in R2P2AdmissionRequest request)
        {
            if (Refuse)
            {
                return false;
            }

            _admitted[request] = _admitted.GetValueOrDefault(request) + 1;
            Admitted++;
            return true;
        }

        public bool CanAdmit(in R2P2AdmissionRequest request) => !Refuse;

        public void Release(in R2P2AdmissionRequest request) => Release(request, byProtocol: true);

        public void Release(in R2P2AdmissionRequest request, bool byProtocol)
        {
            int held = _admitted.GetValueOrDefault(request);
            Invariant.Holds(held > 0, $"Request {request.RequestId} ({request.Policy}) from {request.Client} was released more often than admitted, or with another routing policy.");
            _admitted[request] = held - 1;
            Admitted--;
            ReleasedByProtocol += byProtocol ? 1 : 0;
        }
    }
}
