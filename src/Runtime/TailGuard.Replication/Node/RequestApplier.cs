using System;
using System.Buffers;
using System.Buffers.Binary;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;
using TailGuard.Replication.Sessions;

namespace TailGuard.Replication;

/// <summary>
/// Runs one ordered request against the service (docs/replication.md, "Applying"): a registration opens a session, a
/// write goes through the session table first (run once, answer retries from the table), a read runs as it is. Every
/// decision is a function of the request and the state, so every replica decides the same. One thread at a time (the
/// apply thread).
/// </summary>
internal sealed class RequestApplier
{
    private static readonly byte[] SessionExpired = [(byte)R2P2ServiceStatus.SessionExpired];
    private static readonly byte[] MalformedRequest = [(byte)R2P2ServiceStatus.MalformedRequest];
    private readonly IReplicatedService _service;
    private readonly SessionTable _sessions;
    private readonly ReplicatedNodeStatistics _statistics;
    private readonly ArrayBufferWriter<byte> _response = new(256);

    public RequestApplier(IReplicatedService service, SessionTable sessions, ReplicatedNodeStatistics statistics)
    {
        _service = service;
        _sessions = sessions;
        _statistics = statistics;
    }

    public SessionTable Sessions => _sessions;

    /// <summary>Applies a write ordered at <paramref name="index"/>; the response to send, or null when nobody waits for one.</summary>
    public byte[]? ApplyWrite(byte[] payload, long index)
    {
        if (!SessionHeader.TryRead(payload, out var header))
        {
            return MalformedRequest; // the leader checks headers before ordering: only a hostile leader gets here
        }

        if (header.IsRegistration)
        {
            var registered = new byte[SessionHeader.RegisteredSize];
            registered[0] = (byte)R2P2ServiceStatus.Ok;
            BinaryPrimitives.WriteInt64BigEndian(registered.AsSpan(1), _sessions.Register(header.ClientId, header.Nonce, index));
            _statistics.SessionRegistered();
            return registered;
        }

        switch (_sessions.Begin(header, index, out var stored))
        {
            case SessionOutcome.Duplicate:
                _statistics.Duplicate();
                return stored;
            case SessionOutcome.Stale:
                // Not run. A late copy's client has its outcome already and ignores the answer.
                _statistics.StaleWrite();
                return SessionExpired;
            case SessionOutcome.Expired:
                _statistics.ExpiredSession();
                return SessionExpired;
        }

        var response = Run(payload);
        _sessions.Complete(header, response);
        return response;
    }

    /// <summary>Runs a read (no session: a read has no effect to deduplicate).</summary>
    public byte[] ApplyRead(byte[] payload)
    {
        if (payload.Length <= SessionHeader.Size || !_service.IsReadOnly(payload.AsSpan(SessionHeader.Size)))
        {
            return MalformedRequest;
        }

        return Run(payload);
    }

    private byte[] Run(byte[] payload)
    {
        _response.ResetWrittenCount();
        try
        {
            _service.Apply(new ReadOnlySequence<byte>(payload, SessionHeader.Size, payload.Length - SessionHeader.Size), _response);
        }
        catch (Exception)
        {
            // A generated dispatcher never throws (it answers HandlerFailed); a hand-written one that does must still
            // leave every replica in the same place, so the failure itself is the deterministic answer.
            _response.ResetWrittenCount();
            ServiceResponse.WriteError(_response, R2P2ServiceStatus.HandlerFailed);
        }

        return _response.WrittenSpan.ToArray();
    }
}
