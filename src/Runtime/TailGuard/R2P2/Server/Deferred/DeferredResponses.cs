using System;
using System.Buffers;
using System.Diagnostics;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// The deferred responses of one receive loop: a bounded table of slots, each holding one unanswered request (rid,
/// client) with its own message writer, and the deadline by which it must be answered. The loop adds and expires;
/// any thread answers. A slot's generation changes whenever it is freed, so a stale handle never answers another
/// request. Answering builds and sends on the answering thread (no hop back to the loop).
/// </summary>
internal sealed class DeferredResponses
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly PacketTransport _transport;
    private readonly R2P2ServerStatistics _statistics;
    private readonly AdmissionGate _admission;
    private readonly ResponseLimiter? _limiter;
    private readonly Security.ServerAuthenticator? _authenticator;
    private readonly PacketAddress? _router;
    private readonly R2P2ServerOptions _options;
    private readonly long _timeoutTicks;
    private readonly Slot?[] _slots;
    private readonly int[] _free;
    private readonly DeadlineQueue _deadlines;
    private readonly Released[] _released;
    private int _freeCount;
    private volatile int _pending;
    private bool _closed;

    public DeferredResponses(PacketTransport transport, R2P2ServerOptions options, R2P2ServerStatistics statistics, AdmissionGate admission, ResponseLimiter? limiter, Security.ServerAuthenticator? authenticator)
    {
        _authenticator = authenticator;
        _transport = transport;
        _statistics = statistics;
        _admission = admission;
        _limiter = limiter;
        _router = options.RouterAddress;
        _options = options;
        _timeoutTicks = Math.Max(1, (long)(options.ResponseTimeout.TotalSeconds * Stopwatch.Frequency));
        var capacity = options.MaxDeferredResponses;
        _slots = new Slot?[capacity];
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeCount = capacity;
        _deadlines = new DeadlineQueue(capacity);
        _released = new Released[capacity];
    }

    private enum SlotState
    {
        Free,
        Pending,
        Answering,
    }

    /// <summary>Deferred responses waiting for an answer.</summary>
    public int Pending => _pending;

    /// <summary>The earliest deadline of a waiting response, or <see cref="long.MaxValue"/>.</summary>
    public long EarliestDeadline
    {
        get
        {
            if (_pending == 0)
            {
                return long.MaxValue;
            }

            lock (_sync)
            {
                return _deadlines.EarliestDeadline;
            }
        }
    }

    /// <summary>Takes a slot for a request being deferred (loop thread).</summary>
    public R2P2ResponseHandle Add(in R2P2AdmissionRequest request, bool acknowledged, Security.R2P2Key? key, ulong callNonce, long now, in R2P2Measurement measurement)
    {
        lock (_sync)
        {
            if (_closed)
            {
                throw new InvalidOperationException("The server is stopping; it answers no more requests.");
            }

            if (_freeCount == 0)
            {
                throw new InvalidOperationException($"The receive loop already holds {_slots.Length} unanswered deferred responses ({nameof(R2P2ServerOptions)}.{nameof(R2P2ServerOptions.MaxDeferredResponses)}).");
            }

            var index = _free[--_freeCount];
            var slot = _slots[index] ??= new Slot(ServerLoop.ResponseWriter(_transport, _options));
            slot.State = SlotState.Pending;
            slot.RequestId = request.RequestId;
            slot.Client = request.Client;
            slot.Policy = request.Policy;
            slot.Measurement = measurement;
            slot.Acknowledged = acknowledged;
            slot.Key = key;
            slot.CallNonce = callNonce;
            _deadlines.Add(index, now + _timeoutTicks);
            _pending++;
            return new R2P2ResponseHandle(this, index, slot.Generation);
        }
    }

    public bool IsPending(int index, int generation)
    {
        lock (_sync)
        {
            return _slots[index] is { State: SlotState.Pending } slot && slot.Generation == generation;
        }
    }

    public bool TrySend(int index, int generation, ReadOnlySpan<byte> payload)
    {
        var slot = Claim(index, generation);
        if (slot is null)
        {
            return false;
        }

        try
        {
            slot.Writer.Start();
            slot.Writer.Write(payload);
        }
        catch
        {
            Abandon(index, slot);
            throw;
        }

        return Send(index, slot);
    }

    public bool TrySend<TState>(int index, int generation, in TState state, R2P2PayloadWriter<TState> writePayload)
    {
        var slot = Claim(index, generation);
        if (slot is null)
        {
            return false;
        }

        try
        {
            slot.Writer.Start();
            writePayload(slot.Writer, in state);
        }
        catch
        {
            Abandon(index, slot);
            throw;
        }

        return Send(index, slot);
    }

    /// <summary>Releases every response whose deadline passed (loop thread).</summary>
    public void Expire(long now)
    {
        if (_pending == 0)
        {
            return;
        }

        int released;
        lock (_sync)
        {
            released = TakeDue(now);
        }

        Release(released);
    }

    /// <summary>Releases every waiting response and refuses new ones: the loop is stopping.</summary>
    public void Close()
    {
        int released;
        lock (_sync)
        {
            _closed = true;
            released = TakeDue(long.MaxValue);
        }

        Release(released);
    }

    /// <summary>Under the lock: frees every due waiting slot into <see cref="_released"/>.</summary>
    private int TakeDue(long now)
    {
        var count = 0;
        while (_deadlines.TryTakeDue(now, out var index))
        {
            var slot = _slots[index]!;
            _released[count++] = new Released(slot.Admission, slot.Measurement);
            Free(index, slot);
        }

        return count;
    }

    /// <summary>Outside the lock (admission policies are user code; the gate survives their failures): the expired requests' admissions go back.</summary>
    private void Release(int count)
    {
        for (var i = 0; i < count; i++)
        {
            ref var released = ref _released[i];
            _admission.Release(released.Admission);
            _statistics.ExpiredResponse();
            released.Measurement.End(R2P2Outcome.Expired);
            released = default;
        }
    }

    /// <summary>The first answer wins the slot; any other is late.</summary>
    private Slot? Claim(int index, int generation)
    {
        lock (_sync)
        {
            if ((uint)index < (uint)_slots.Length && _slots[index] is { State: SlotState.Pending } slot && slot.Generation == generation)
            {
                slot.State = SlotState.Answering;
                _deadlines.Remove(index);
                return slot;
            }
        }

        _statistics.LateResponse();
        return null;
    }

    private bool Send(int index, Slot slot)
    {
        var sent = false;
        var status = slot.Writer.FirstByte;
        try
        {
            if (_limiter is not null && !_limiter.TryTake(slot.Client, slot.Writer.Length, Fragmenter.PacketCount(MessageType.Response, slot.Writer.Length, slot.Writer.PayloadSize), slot.Acknowledged, Stopwatch.GetTimestamp()))
            {
                _statistics.LimitedResponse();
                slot.Measurement.End(R2P2Outcome.Failed);
                return false;
            }

            var seal = new ReplySeal(_authenticator, null, slot.Key, slot.CallNonce); // off the loop thread: the shared ciphers
            var count = ResponseMessage.Build(slot.Writer, _transport, slot.RequestId, slot.Client, _router, seal, ref slot.Packets, out var feedback);
            try
            {
                _transport.Send(slot.Packets.AsSpan(0, count)); // takes every packet, even when it throws
            }
            finally
            {
                Array.Clear(slot.Packets, 0, count);
            }

            sent = true;
            slot.Measurement.EndAnswered(status);
            _statistics.Response();
            if (feedback)
            {
                _statistics.Feedback();
            }
        }
        catch (ObjectDisposedException)
        {
            // The server stopped and closed its transport while this answer was on its way: nobody can send it.
            _statistics.LateResponse();
            slot.Measurement.End(R2P2Outcome.Expired);
        }
        finally
        {
            slot.Writer.Reset();
            _admission.Release(slot.Admission);
            lock (_sync)
            {
                Free(index, slot);
            }
        }

        return sent;
    }

    /// <summary>The answer's writer threw: nothing is sent, the request is released as a failed handler (the exception goes on to the answering caller).</summary>
    private void Abandon(int index, Slot slot)
    {
        slot.Writer.Reset();
        _admission.Release(slot.Admission);
        _statistics.HandlerFailure();
        slot.Measurement.End(R2P2Outcome.HandlerFailed);
        lock (_sync)
        {
            Free(index, slot);
        }
    }

    /// <summary>Under the lock.</summary>
    private void Free(int index, Slot slot)
    {
        slot.State = SlotState.Free;
        slot.Measurement = default;
        unchecked
        {
            slot.Generation++;
        }

        _free[_freeCount++] = index;
        _pending--;
    }

    private sealed class Slot(MessageWriter writer)
    {
        public readonly MessageWriter Writer = writer;
        public PacketBuffer[] Packets = new PacketBuffer[2];
        public SlotState State;
        public int Generation;
        public ushort RequestId;
        public PacketAddress Client;
        public RoutingPolicy Policy;
        public R2P2Measurement Measurement;
        public bool Acknowledged;
        public Security.R2P2Key? Key;
        public ulong CallNonce;

        /// <summary>The request as it was admitted (what its release names).</summary>
        public R2P2AdmissionRequest Admission => new(RequestId, Client, Policy);
    }

    /// <summary>A request released unanswered, ended outside the lock.</summary>
    private struct Released(R2P2AdmissionRequest admission, R2P2Measurement measurement)
    {
        public readonly R2P2AdmissionRequest Admission = admission;
        public R2P2Measurement Measurement = measurement;
    }
}
