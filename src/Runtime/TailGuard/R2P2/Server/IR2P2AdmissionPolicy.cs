namespace TailGuard.R2P2;

/// <summary>
/// Decides, on a request's FIRST packet, whether the server takes it. A refused request gets DROP (docs/design/r2p2.md: flow
/// control) and the handler never runs. Called concurrently from every receive loop.
/// </summary>
public interface IR2P2AdmissionPolicy
{
    /// <summary>Asks to admit one request.</summary>
    /// <param name="requestId">The request's rid.</param>
    /// <param name="client">The request's source address.</param>
    /// <returns>True to take it (then <see cref="Release"/> is called exactly once when it ends), false to answer DROP.</returns>
    bool TryAdmit(ushort requestId, PacketAddress client);

    /// <summary>An admitted request ended: answered, or its reassembly was discarded.</summary>
    void Release();
}
