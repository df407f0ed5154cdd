namespace TailGuard.R2P2.Protocol;

/// <summary>Why a server dropped a datagram; every reason is counted as a malformed datagram, never trusted.</summary>
public enum RequestRejection
{
    /// <summary>Not rejected.</summary>
    None,

    /// <summary>The header failed <see cref="R2P2Header.TryRead"/> (see <see cref="ServerEvent.HeaderStatus"/>).</summary>
    BadHeader,

    /// <summary>A message type a server does not take (a response, ACK, DROP, FEEDBACK or Raft message).</summary>
    NotARequest,

    /// <summary>A routing policy the server does not serve.</summary>
    UnservedPolicy,

    /// <summary>A FIRST packet announcing more packets than the largest request accepted.</summary>
    TooLarge,

    /// <summary>A second FIRST packet for a request being reassembled (a second ACK would abort the reference client).</summary>
    DuplicateFirst,

    /// <summary>A continuation packet for no pending request.</summary>
    Orphan,

    /// <summary>A continuation that discarded its request: a duplicate index, an index >= N, LAST on the wrong index, or no room.</summary>
    Inconsistent,

    /// <summary>A FIRST packet the bounds had no room for, even after the evictions they allow.</summary>
    NoRoom,

    /// <summary>The FIRST packet of a multi-packet request without exactly the 14 payload bytes the protocol puts there.</summary>
    BadFirstPacket,

    /// <summary>
    /// A whole multi-packet request the admission policy refused after its ACK: discarded without DROP (a client takes
    /// DROP only before the ACK), so its call times out. Not bad input: counted apart from malformed datagrams.
    /// </summary>
    RefusedAfterAck,

    /// <summary>
    /// Authenticated mode: no valid tag of a key in the ring, or a continuation under another key or call nonce than its
    /// request's FIRST packet (the request goes on). Counted apart from malformed datagrams.
    /// </summary>
    Unauthenticated,

    /// <summary>
    /// Authenticated mode: a request whose call nonce the server has taken before or that is older than its replay window
    /// (<see cref="R2P2ServerOptions.ReplayWindow"/>): a replay, dropped before admission. Counted apart from malformed datagrams.
    /// </summary>
    Replayed,
}
