using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace TailGuard.Replication.Sessions;

/// <summary>
/// Exactly-once effects (docs/replication.md, "Exactly-once effects"): per client id, the session registered for it
/// (its nonce and epoch) and the responses of the calls that ran and are not yet below the client's floor. Part of the
/// replicated state: every replica applies the same writes in the same order, so every decision here (including which
/// session or response is evicted when a bound is hit) is a function of the log alone, and the table is in every
/// snapshot.
/// </summary>
internal sealed class SessionTable
{
    private readonly Dictionary<ulong, Session> _sessions = new();
    private readonly int _maxSessions;
    private readonly int _maxResponsesPerSession;

    public SessionTable(int maxSessions, int maxResponsesPerSession)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResponsesPerSession, 1);
        _maxSessions = maxSessions;
        _maxResponsesPerSession = maxResponsesPerSession;
    }

    public int Count => _sessions.Count;

    /// <summary>Responses kept across every session.</summary>
    public int StoredResponses => _sessions.Values.Sum(s => s.Responses.Count);

    /// <summary>
    /// Registers the session <paramref name="nonce"/> names for <paramref name="clientId"/> at log index
    /// <paramref name="index"/> and returns its epoch. Another attempt of the same registration (the same nonce, the
    /// session still kept) returns the epoch it had. Otherwise the epoch is the index and a session the client id had is
    /// replaced, its responses forgotten: a client restarted with its old id starts afresh, and calls of the old session
    /// (carrying the old epoch) are answered SessionExpired, never a stored response of another incarnation.
    /// </summary>
    public long Register(ulong clientId, long nonce, long index)
    {
        if (_sessions.TryGetValue(clientId, out var existing))
        {
            if (existing.Nonce == nonce)
            {
                existing.LastActive = index;
                return existing.Epoch;
            }
        }
        else if (_sessions.Count >= _maxSessions)
        {
            EvictLeastRecentlyActive();
        }

        _sessions[clientId] = new Session { Nonce = nonce, Epoch = index, LastActive = index };
        return index;
    }

    /// <summary>Decides what a committed write at log index <paramref name="index"/> does; <paramref name="stored"/> is the response of a duplicate.</summary>
    public SessionOutcome Begin(in SessionHeader header, long index, out byte[]? stored)
    {
        stored = null;
        if (!TryGet(header, out var session))
        {
            return SessionOutcome.Expired;
        }

        session.LastActive = index;
        if (header.Floor > session.Floor)
        {
            session.Floor = header.Floor;
            session.ForgetBelow(header.Floor);
        }

        return Classify(session, header.Sequence, out stored);
    }

    /// <summary>
    /// What <see cref="Begin"/> would decide for this call now, changing nothing: a replica that restored a snapshot
    /// answers the parked calls the snapshot ran (docs/replication.md, "Snapshots").
    /// </summary>
    public SessionOutcome Peek(in SessionHeader header, out byte[]? stored)
    {
        stored = null;
        if (header.IsRegistration)
        {
            return SessionOutcome.Execute; // not a call: its retry (the same nonce) is answered the epoch it registered
        }

        return TryGet(header, out var session) ? Classify(session, header.Sequence, out stored) : SessionOutcome.Expired;
    }

    // The call's session: its client id registered at its epoch. Anything else (never registered, evicted, or replaced by
    // a later registration of the id) may have had this call run in it: the call is expired, never run as new.
    private bool TryGet(in SessionHeader header, out Session session) =>
        _sessions.TryGetValue(header.ClientId, out session!) && session.Epoch == header.Epoch;

    /// <summary>Stores the response of a call that ran (after <see cref="Begin"/> said <see cref="SessionOutcome.Execute"/>).</summary>
    public void Complete(in SessionHeader header, byte[] response)
    {
        var session = _sessions[header.ClientId];
        session.Responses.Add(header.Sequence, response);
        if (session.Responses.Count > _maxResponsesPerSession)
        {
            // The oldest call's response goes; a retry of it is then answered SessionExpired, never run twice.
            var oldest = session.Responses.Keys.Min();
            session.Responses.Remove(oldest);
            session.EvictedThrough = Math.Max(session.EvictedThrough, oldest);
        }
    }

    /// <summary>The table in a canonical byte form (sessions by client id, responses by sequence).</summary>
    public void Write(IBufferWriter<byte> output)
    {
        WriteInt(output, _sessions.Count);
        foreach (var (clientId, session) in _sessions.OrderBy(p => p.Key))
        {
            var span = output.GetSpan(52);
            BinaryPrimitives.WriteUInt64BigEndian(span, clientId);
            BinaryPrimitives.WriteInt64BigEndian(span[8..], session.Nonce);
            BinaryPrimitives.WriteInt64BigEndian(span[16..], session.Epoch);
            BinaryPrimitives.WriteInt64BigEndian(span[24..], session.Floor);
            BinaryPrimitives.WriteInt64BigEndian(span[32..], session.LastActive);
            BinaryPrimitives.WriteInt64BigEndian(span[40..], session.EvictedThrough);
            BinaryPrimitives.WriteInt32BigEndian(span[48..], session.Responses.Count);
            output.Advance(52);
            foreach (var (sequence, response) in session.Responses.OrderBy(p => p.Key))
            {
                span = output.GetSpan(12);
                BinaryPrimitives.WriteInt64BigEndian(span, sequence);
                BinaryPrimitives.WriteInt32BigEndian(span[8..], response.Length);
                output.Advance(12);
                output.Write(response);
            }
        }
    }

    /// <summary>Replaces the table with one <see cref="Write"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a session table.</exception>
    public void Read(ref SequenceReader<byte> reader)
    {
        _sessions.Clear();
        var count = ReadInt(ref reader);
        for (var i = 0; i < count; i++)
        {
            var clientId = (ulong)ReadLong(ref reader);
            var session = new Session { Nonce = ReadLong(ref reader), Epoch = ReadLong(ref reader), Floor = ReadLong(ref reader), LastActive = ReadLong(ref reader), EvictedThrough = ReadLong(ref reader) };
            var responses = ReadInt(ref reader);
            for (var j = 0; j < responses; j++)
            {
                var sequence = ReadLong(ref reader);
                var length = ReadInt(ref reader);
                if (length < 0 || reader.Remaining < length)
                {
                    throw new InvalidDataException("The session table in the snapshot is truncated.");
                }

                var response = new byte[length];
                reader.TryCopyTo(response);
                reader.Advance(length);
                session.Responses[sequence] = response;
            }

            _sessions[clientId] = session;
        }
    }

    private static void WriteInt(IBufferWriter<byte> output, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static int ReadInt(ref SequenceReader<byte> reader)
        => reader.TryReadBigEndian(out int value) && value >= 0 ? value : throw new InvalidDataException("The session table in the snapshot is truncated.");

    private static long ReadLong(ref SequenceReader<byte> reader)
        => reader.TryReadBigEndian(out long value) ? value : throw new InvalidDataException("The session table in the snapshot is truncated.");

    private static SessionOutcome Classify(Session session, long sequence, out byte[]? stored)
    {
        stored = null;
        if (sequence < session.Floor)
        {
            return SessionOutcome.Stale;
        }

        if (session.Responses.TryGetValue(sequence, out stored))
        {
            return SessionOutcome.Duplicate;
        }

        return sequence <= session.EvictedThrough ? SessionOutcome.Expired : SessionOutcome.Execute;
    }

    private void EvictLeastRecentlyActive()
    {
        // Deterministic: log indexes are unique, so there is one least recently active session on every replica.
        var victim = _sessions.MinBy(p => p.Value.LastActive).Key;
        _sessions.Remove(victim);
    }

    private sealed class Session
    {
        public long Nonce;
        public long Epoch;
        public long Floor = 1;
        public long LastActive;
        public long EvictedThrough;
        public readonly Dictionary<long, byte[]> Responses = new();

        public void ForgetBelow(long floor)
        {
            List<long>? below = null;
            foreach (var sequence in Responses.Keys)
            {
                if (sequence < floor)
                {
                    (below ??= []).Add(sequence);
                }
            }

            if (below is not null)
            {
                foreach (var sequence in below)
                {
                    Responses.Remove(sequence);
                }
            }
        }
    }
}
