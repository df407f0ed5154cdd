using System;
using System.Buffers;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// Collects one outgoing message (a request or response payload) and splits it into packets
/// (docs/design/r2p2.md, "Message sizes and how messages split"). The payload is written straight into a packet buffer rented from the
/// transport, after room for the header, so a one-packet message is sent without a copy; only a message larger than one
/// packet spills into an array from <see cref="ArrayPool{T}.Shared"/> and is copied into its packets. Not thread-safe:
/// one writer per thread or per pending message; reusable (<see cref="Start"/> again after <see cref="Build"/>).
/// </summary>
public sealed class MessageWriter : IBufferWriter<byte>
{
    private const int MinimumSpill = 4096;
    private readonly IPacketBufferSource _source;
    private readonly int _payloadSize;
    private readonly long _maxLength;
    private readonly int _trailerRoom;
    private PacketBuffer? _first;
    private byte[]? _spill;
    private int _length;

    /// <summary>Creates a writer.</summary>
    /// <param name="source">Where packet buffers come from: the transport the message will be sent on.</param>
    /// <param name="payloadSize">Payload bytes per packet (the header's 8 bytes come on top).</param>
    /// <param name="maxLength">The longest message accepted; writing more throws <see cref="InvalidOperationException"/>.</param>
    public MessageWriter(IPacketBufferSource source, int payloadSize, long maxLength)
        : this(source, payloadSize, maxLength, 0)
    {
    }

    /// <summary>Creates a writer whose packets keep room after the payload (for the authenticated mode's trailer).</summary>
    /// <param name="source">Where packet buffers come from: the transport the message will be sent on.</param>
    /// <param name="payloadSize">Payload bytes per packet (the header's 8 bytes and the trailer room come on top).</param>
    /// <param name="maxLength">The longest message accepted; writing more throws <see cref="InvalidOperationException"/>.</param>
    /// <param name="trailerRoom">Bytes each packet buffer keeps free after the payload.</param>
    public MessageWriter(IPacketBufferSource source, int payloadSize, long maxLength, int trailerRoom)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadSize, Fragmenter.FirstRequestPacketPayload);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        ArgumentOutOfRangeException.ThrowIfNegative(trailerRoom);
        _source = source;
        _payloadSize = payloadSize;
        _maxLength = maxLength;
        _trailerRoom = trailerRoom;
    }

    /// <summary>The payload bytes written so far.</summary>
    public int Length => _length;

    /// <summary>Payload bytes per packet.</summary>
    public int PayloadSize => _payloadSize;

    /// <summary>Bytes each packet buffer keeps free after the payload.</summary>
    public int TrailerRoom => _trailerRoom;

    /// <summary>Starts a message (giving back whatever a previous unfinished one held).</summary>
    public void Start()
    {
        Reset();
        _first = _source.Rent(R2P2Header.Size + _payloadSize + _trailerRoom);
    }

    /// <inheritdoc/>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var capacity = _spill?.Length ?? _payloadSize;
        if (_length + count > capacity)
        {
            throw new InvalidOperationException("Advanced past the buffer returned by GetMemory/GetSpan.");
        }

        _length += count;
    }

    /// <inheritdoc/>
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureStarted();
        var needed = Math.Max(sizeHint, 1);
        if (_spill is null)
        {
            var available = _payloadSize - _length;
            if (available >= needed)
            {
                return _first!.StorageMemory.Slice(R2P2Header.Size + _length, available);
            }

            Grow(needed);
        }
        else if (_spill.Length - _length < needed)
        {
            Grow(needed);
        }

        return _spill.AsMemory(_length);
    }

    /// <inheritdoc/>
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureStarted();
        var available = _payloadSize - _length;
        return _spill is null && available >= Math.Max(sizeHint, 1)
            ? _first!.Storage.Slice(R2P2Header.Size + _length, available)
            : GetMemory(sizeHint).Span;
    }

    /// <summary>
    /// Splits the message into packets addressed to <paramref name="destination"/>, stored in
    /// <paramref name="packets"/> (grown if needed); the caller owns them. The writer is empty afterwards.
    /// </summary>
    /// <param name="type">The message type of every packet.</param>
    /// <param name="policy">The routing policy of every packet.</param>
    /// <param name="requestId">The rid of every packet.</param>
    /// <param name="destination">The address every packet goes to.</param>
    /// <param name="packets">Receives the packets, from index 0.</param>
    /// <returns>The packet count.</returns>
    public int Build(MessageType type, RoutingPolicy policy, ushort requestId, PacketAddress destination, ref PacketBuffer[] packets)
    {
        EnsureStarted();
        var count = Fragmenter.PacketCount(type, _length, _payloadSize);
        if (packets.Length < count)
        {
            Array.Resize(ref packets, Math.Max(count, packets.Length * 2));
        }

        if (count == 1)
        {
            var only = _first!;
            _first = null;
            if (_spill is not null)
            {
                // A writer that asked for more than it wrote; the bytes are in the spill array.
                _spill.AsSpan(0, _length).CopyTo(only.Storage[R2P2Header.Size..]);
            }

            R2P2Header.Write(only.Storage, type, policy, R2P2Header.FlagsSingle, requestId, 1);
            only.Length = R2P2Header.Size + _length;
            only.Address = destination;
            packets[0] = only;
            Reset();
            return 1;
        }

        ReadOnlySpan<byte> message = _spill.AsSpan(0, _length);
        for (var i = 0; i < count; i++)
        {
            var (offset, length) = Fragmenter.Packet(type, _length, _payloadSize, i);
            var (flags, order) = Fragmenter.Numbering(i, count);
            var packet = _source.Rent(R2P2Header.Size + _payloadSize + _trailerRoom);
            R2P2Header.Write(packet.Storage, type, policy, flags, requestId, order);
            message.Slice(offset, length).CopyTo(packet.Storage[R2P2Header.Size..]);
            packet.Length = R2P2Header.Size + length;
            packet.Address = destination;
            packets[i] = packet;
        }

        Reset();
        return count;
    }

    /// <summary>Gives back whatever the writer holds (after a failed write).</summary>
    public void Reset()
    {
        if (_first is not null)
        {
            _first.Return();
            _first = null;
        }

        if (_spill is not null)
        {
            ArrayPool<byte>.Shared.Return(_spill);
            _spill = null;
        }

        _length = 0;
    }

    private void EnsureStarted()
    {
        if (_first is null)
        {
            throw new InvalidOperationException("The message writer is not started.");
        }
    }

    private void Grow(int needed)
    {
        var required = (long)_length + needed;
        if (required > _maxLength)
        {
            throw new InvalidOperationException($"An R2P2 message may hold at most {_maxLength} bytes.");
        }

        var size = (int)Math.Min(Math.Max(required * 2, MinimumSpill), Math.Max(_maxLength, required));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (_spill is null)
        {
            _first!.Storage.Slice(R2P2Header.Size, _length).CopyTo(bigger);
        }
        else
        {
            _spill.AsSpan(0, _length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_spill);
        }

        _spill = bigger;
    }
}
