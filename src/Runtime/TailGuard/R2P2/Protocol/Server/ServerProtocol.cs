using System;
using System.Buffers;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// The server side of one receive loop, without I/O: checks each datagram's header, type, policy and (for the FIRST
/// packet of a multi-packet request) its 14-byte payload, admits requests, reassembles multi-packet requests
/// (<see cref="RequestReassembler"/>, bounded per source and in total), and says what to do in a
/// <see cref="ServerEvent"/>: drop, send DROP, send ACK, wait, or deliver a whole request (docs/design/r2p2.md, "The
/// multi-packet request handshake" and "Responses, DROP and FEEDBACK"). The caller does the I/O and runs the handler.
/// </summary>
/// <remarks>
/// A request holds an admission only once it is whole (docs/security.md, "Admission and reassembly"): a one-packet
/// request is admitted on arrival (refused: DROP); a multi-packet request is asked about on its FIRST packet without
/// taking anything (refused: DROP, before any ACK) and admitted when its last packet arrives (refused then: discarded
/// without DROP, <see cref="RequestRejection.RefusedAfterAck"/>, because a client takes DROP only before the ACK).
/// Whoever ends a delivered request releases its admission. Not thread-safe: one receive loop owns it.
/// </remarks>
public sealed class ServerProtocol
{
    private readonly RequestReassembler _reassembler;
    private readonly AdmissionGate _admission;
    private readonly int _servedPolicies;
    private readonly int _maxRequestPackets;
    private readonly Security.ServerAuthenticator? _authenticator;
    private readonly Security.ServerAuthenticator.CipherCache? _ciphers;
    private byte[]? _assembled;

    /// <summary>Creates the protocol state of one receive loop.</summary>
    /// <param name="options">The server's settings (payload size, served policies, request and reassembly bounds, admission).</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public ServerProtocol(R2P2ServerOptions options)
        : this(options, null, null, null)
    {
    }

    /// <summary>Creates the protocol state of one loop of a server whose loops share one admission gate and authenticator.</summary>
    internal ServerProtocol(R2P2ServerOptions options, AdmissionGate? admission, Security.ServerAuthenticator? authenticator, Security.ServerAuthenticator.CipherCache? ciphers)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ValidateProtocol();
        if (options.AuthenticationKeys is { } ring)
        {
            _authenticator = authenticator ?? new Security.ServerAuthenticator(ring, options.ReplayWindow, options.MaxClockSkew);
            _ciphers = ciphers ?? _authenticator.CreateCache();
        }

        AdmissionPolicy = options.AdmissionPolicy;
        _admission = admission ?? new AdmissionGate(options.AdmissionPolicy, options.MaxInFlightPerSource, new FailureReporter(options.FailureLog, static _ => { }));
        foreach (var policy in options.ServedPolicies)
        {
            _servedPolicies |= 1 << (int)policy;
        }

        _maxRequestPackets = Fragmenter.PacketCount(MessageType.Request, options.MaxRequestBytes, options.RequestPayloadSize);
        var timeoutTicks = Math.Max(1, (long)(options.ReassemblyTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));
        _reassembler = new RequestReassembler(
            options.MaxPendingReassemblies,
            options.MaxReassemblyBytes,
            options.PendingReassembliesPerSource,
            options.ReassemblyBytesPerSource,
            timeoutTicks);
    }

    /// <summary>The admission policy (see <see cref="IR2P2AdmissionPolicy"/> for when it is asked); null admits everything.</summary>
    public IR2P2AdmissionPolicy? AdmissionPolicy { get; }

    /// <summary>
    /// When true, every new request is refused (<see cref="ServerEventKind.Refused"/>: its first packet answered with
    /// DROP) without asking the admission policy, while requests already begun go on (a multi-packet request whose
    /// first packet came before completes, subject to the admission policy as usual): a draining server.
    /// </summary>
    public bool Refusing { get; set; }

    /// <summary>Multi-packet requests being reassembled.</summary>
    public int PendingReassemblies => _reassembler.Count;

    /// <summary>Buffer capacity the pending reassemblies hold.</summary>
    public long PendingReassemblyBytes => _reassembler.Bytes;

    /// <summary>The most buffer capacity pending reassemblies ever held at once.</summary>
    public long PeakReassemblyBytes => _reassembler.PeakBytes;

    /// <summary>Handles one received datagram.</summary>
    /// <param name="packet">The datagram, with its source address.</param>
    /// <param name="now">The current time (<see cref="System.Diagnostics.Stopwatch"/> ticks).</param>
    /// <returns>What to do; see <see cref="ServerEvent.KeepsPacket"/> for who owns the buffer afterwards.</returns>
    public ServerEvent Receive(PacketBuffer packet, long now)
    {
        ArgumentNullException.ThrowIfNull(packet);
        EndDelivery();
        var status = R2P2Header.TryRead(packet.Span, out var header);
        var source = packet.Address;
        if (status != HeaderStatus.Valid)
        {
            return Reject(RequestRejection.BadHeader, status, header, source, 0);
        }

        if (header.Type != MessageType.Request)
        {
            return Reject(RequestRejection.NotARequest, status, header, source, 0);
        }

        if ((_servedPolicies & (1 << ((int)header.Policy & 0x1F))) == 0)
        {
            return Reject(RequestRejection.UnservedPolicy, status, header, source, 0);
        }

        // Authenticated mode: nothing below sees a packet the key holder did not tag (its trailer is stripped here).
        Security.R2P2Key? authenticatedBy = null;
        ulong callNonce = 0;
        if (_authenticator is not null && !Security.ServerAuthenticator.TryOpenRequest(_ciphers!, packet, out authenticatedBy, out callNonce))
        {
            return Reject(RequestRejection.Unauthenticated, status, header, source, 0);
        }

        // A request's nonce is taken once, by its only or FIRST packet (continuations must carry the same, below).
        if (_authenticator is not null && (header.IsSinglePacket || header.IsFirst) && !_authenticator.TryAcceptCall(authenticatedBy!, callNonce))
        {
            return Reject(RequestRejection.Replayed, status, header, source, 0);
        }

        if (header.IsSinglePacket)
        {
            var single = !Refusing && _admission.TryAdmit(new R2P2AdmissionRequest(header.RequestId, source, header.Policy))
                ? new ServerEvent(ServerEventKind.Deliver, RequestRejection.None, status, header, source, new ReadOnlySequence<byte>(packet.Memory[R2P2Header.Size..]), keepsPacket: false, 0)
                : Event(ServerEventKind.Refused, header, source, keepsPacket: false, 0);
            return single with { Key = authenticatedBy, CallNonce = callNonce };
        }

        var key = new ReassemblyKey(source, header.RequestId);
        var discardsBefore = _reassembler.Discards;
        if (header.IsFirst)
        {
            if (packet.Length - R2P2Header.Size != Fragmenter.FirstRequestPacketPayload)
            {
                return Reject(RequestRejection.BadFirstPacket, status, header, source, 0);
            }

            if (header.PacketOrder > _maxRequestPackets)
            {
                return Reject(RequestRejection.TooLarge, status, header, source, 0);
            }

            if (_reassembler.Contains(key))
            {
                return Reject(RequestRejection.DuplicateFirst, status, header, source, 0);
            }

            if (Refusing || !_admission.CanAdmit(new R2P2AdmissionRequest(header.RequestId, source, header.Policy)))
            {
                return Event(ServerEventKind.Refused, header, source, keepsPacket: false, 0) with { Key = authenticatedBy, CallNonce = callNonce };
            }

            if (!_reassembler.Begin(key, header.PacketOrder, header.Policy, packet, now))
            {
                return Reject(RequestRejection.NoRoom, status, header, source, Since(discardsBefore));
            }

            _reassembler.SetIdentity(key, authenticatedBy, callNonce);
            return Event(ServerEventKind.Acknowledge, header, source, keepsPacket: true, Since(discardsBefore)) with { Key = authenticatedBy, CallNonce = callNonce };
        }

        if (_authenticator is not null
            && _reassembler.TryGetIdentity(key, out var requestKey, out var requestNonce)
            && (!ReferenceEquals(requestKey, authenticatedBy) || requestNonce != callNonce))
        {
            // Tagged by a key holder, but not for this request: another client cannot inject packets into it.
            return Reject(RequestRejection.Unauthenticated, status, header, source, 0);
        }

        switch (_reassembler.Add(key, header.PacketOrder, header.IsLast, packet))
        {
            case ReassemblyResult.Stored:
                return Event(ServerEventKind.Stored, header, source, keepsPacket: true, Since(discardsBefore));
            case ReassemblyResult.Complete:
                if (!_admission.TryAdmit(new R2P2AdmissionRequest(header.RequestId, source, _reassembler.PolicyOf(key)))) // the FIRST packet's policy, as delivered
                {
                    // Refused after its ACK: no DROP can be sent now (docs/security.md). Remove returns every packet of the
                    // request, this datagram's too (Add stored it), so the event keeps it: the caller must not return it again.
                    _reassembler.Remove(key);
                    return Reject(RequestRejection.RefusedAfterAck, status, header, source, Since(discardsBefore), keepsPacket: true);
                }

                _assembled = _reassembler.TakeAssembled(key, out var length, out var policy);
                var first = new R2P2Header(MessageType.Request, policy, R2P2Header.FlagsSingle, header.RequestId, 1);
                return new ServerEvent(ServerEventKind.Deliver, RequestRejection.None, status, first, source, new ReadOnlySequence<byte>(_assembled, 0, length), keepsPacket: true, Since(discardsBefore))
                {
                    WasAcknowledged = true,
                    Key = authenticatedBy,
                    CallNonce = callNonce,
                };
            case ReassemblyResult.Orphan:
                return Reject(RequestRejection.Orphan, status, header, source, 0);
            default:
                return Reject(RequestRejection.Inconsistent, status, header, source, Since(discardsBefore));
        }
    }

    /// <summary>Ends the last delivery: the payload of a reassembled request is given back (it is invalid afterwards).</summary>
    public void EndDelivery()
    {
        if (_assembled is not null)
        {
            ArrayPool<byte>.Shared.Return(_assembled);
            _assembled = null;
        }
    }

    /// <summary>Discards incomplete requests older than the reassembly timeout (a timer tick).</summary>
    /// <param name="now">The current time.</param>
    /// <returns>How many were discarded.</returns>
    public int Expire(long now) => _reassembler.Count == 0 ? 0 : _reassembler.Expire(now);

    /// <summary>Discards every pending request and delivery (the loop is stopping).</summary>
    public void Clear()
    {
        EndDelivery();
        _reassembler.Clear();
    }

    private static ServerEvent Event(ServerEventKind kind, in R2P2Header header, PacketAddress source, bool keepsPacket, int discarded)
        => new(kind, RequestRejection.None, HeaderStatus.Valid, header, source, default, keepsPacket, discarded);

    private static ServerEvent Reject(RequestRejection rejection, HeaderStatus status, in R2P2Header header, PacketAddress source, int discarded, bool keepsPacket = false)
        => new(ServerEventKind.Rejected, rejection, status, header, source, default, keepsPacket, discarded);

    private int Since(long discardsBefore) => (int)(_reassembler.Discards - discardsBefore);
}
