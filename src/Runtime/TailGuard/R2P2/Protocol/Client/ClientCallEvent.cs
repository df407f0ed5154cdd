namespace TailGuard.R2P2.Protocol;

/// <summary>
/// What one received datagram did to a client call (<see cref="ClientCall.Receive"/>, <see cref="ClientProtocol.Receive"/>).
/// The call keeps the datagram's buffer exactly for <see cref="ResponsePacketStored"/> and <see cref="Completed"/>; for
/// every other event the buffer stays with the caller.
/// </summary>
public enum ClientCallEvent : byte
{
    /// <summary>Nothing changed: a bad header, an unknown rid, a duplicate ACK, a DROP after the request was taken, a type a client does not take. Drop and count it.</summary>
    Ignored,

    /// <summary>The ACK arrived: send <see cref="ClientCall.TakeContinuations"/> now (they are addressed to the ACK's source).</summary>
    SendContinuations,

    /// <summary>A response packet was stored (the call keeps the buffer); more are due.</summary>
    ResponsePacketStored,

    /// <summary>The whole response is stored (the call keeps the buffer): the call ended with <see cref="ClientCall.ResponsePayload"/>.</summary>
    Completed,

    /// <summary>The server refused the request with DROP: the call ended; the handler never ran, so a retry is safe.</summary>
    Dropped,

    /// <summary>The datagram broke the protocol (a response before the ACK, a gap, a bad ACK or DROP): the call ended as malformed.</summary>
    Malformed,

    /// <summary>
    /// The datagram did not come from who may answer the call (source binding, see <see cref="ResponseSources"/>; or, in
    /// authenticated mode, its tag did not verify). Nothing changed: drop and count it; the call goes on.
    /// </summary>
    Forged,
}
