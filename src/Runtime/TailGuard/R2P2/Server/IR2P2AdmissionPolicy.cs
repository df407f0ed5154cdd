namespace TailGuard.R2P2;

/// <summary>
/// Decides whether the server takes a request. A request holds an admission only once it is whole: a one-packet
/// request is admitted when it arrives; a multi-packet request is asked about on its FIRST packet with
/// <see cref="CanAdmit"/> (which takes nothing: a request that never completes holds no slot) and admitted with
/// <see cref="TryAdmit"/> when its last packet arrives (docs/security.md, "Admission and reassembly"). A request refused
/// on arrival or on its FIRST packet gets DROP (docs/design/r2p2.md, "Responses, DROP and FEEDBACK") and the handler
/// never runs; a complete multi-packet request refused after its ACK is discarded without DROP (a client takes DROP only
/// before the ACK) and its call times out. Called concurrently from every receive loop, and <see cref="Release"/> also
/// from threads answering deferred responses: implementations are thread-safe. A method that throws is counted and
/// logged (<see cref="IR2P2FailureLog"/>): a throwing admission refuses, a throwing release counts as released. Each
/// method is given the request (<see cref="R2P2AdmissionRequest"/>: rid, client, routing policy), so a policy decides
/// from its arguments and its own counters, never from state the caller sets before asking.
/// </summary>
public interface IR2P2AdmissionPolicy
{
    /// <summary>Asks to admit one whole request.</summary>
    /// <param name="request">The request: rid, client and routing policy.</param>
    /// <returns>True to take it (then <see cref="Release"/> is called exactly once for it when it ends, with an equal <paramref name="request"/>), false to refuse it.</returns>
    bool TryAdmit(in R2P2AdmissionRequest request);

    /// <summary>
    /// Asked on the FIRST packet of a multi-packet request: whether <see cref="TryAdmit"/> would admit it now. Takes
    /// nothing (the request is admitted, or not, when whole); false answers DROP before the ACK. The default asks
    /// <see cref="TryAdmit"/> and at once <see cref="Release"/>s what it took; a policy that can answer without taking
    /// should override it.
    /// </summary>
    /// <param name="request">The request (from its FIRST packet): rid, client and routing policy.</param>
    /// <returns>Whether the request would be admitted now.</returns>
    bool CanAdmit(in R2P2AdmissionRequest request)
    {
        if (!TryAdmit(in request))
        {
            return false;
        }

        Release(in request);
        return true;
    }

    /// <summary>
    /// An admitted request ended: answered (synchronously or deferred), its handler failed, or its deferred response
    /// expired unanswered. Called once per admitted request, with the request it was admitted with (rid, client and
    /// routing policy), so a per-client policy returns the right client's slot and a policy that exempts by routing
    /// policy releases only what it counted.
    /// </summary>
    /// <param name="request">The request as it was admitted.</param>
    void Release(in R2P2AdmissionRequest request);
}
