namespace TailGuard.R2P2;

/// <summary>
/// Decides, on a request's FIRST packet, whether the server takes it. A refused request gets DROP
/// (docs/design/r2p2.md, "Responses, DROP and FEEDBACK") and the handler never runs. Called concurrently from every
/// receive loop, and <see cref="Release"/> also from threads answering deferred responses: implementations are thread-safe.
/// </summary>
public interface IR2P2AdmissionPolicy
{
    /// <summary>Asks to admit one request.</summary>
    /// <param name="requestId">The request's rid.</param>
    /// <param name="client">The request's source address.</param>
    /// <returns>True to take it (then <see cref="Release"/> is called exactly once for it when it ends), false to answer DROP.</returns>
    bool TryAdmit(ushort requestId, PacketAddress client);

    /// <summary>
    /// An admitted request ended: answered (synchronously or deferred), its handler failed, its deferred response
    /// expired unanswered, or its reassembly was discarded. Called once per admitted request, with the rid and client
    /// it was admitted with, so a per-client policy can return the right client's slot.
    /// </summary>
    /// <param name="requestId">The request's rid.</param>
    /// <param name="client">The request's source address.</param>
    void Release(ushort requestId, PacketAddress client);
}
