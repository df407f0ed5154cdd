using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>
/// The replica's admission policy: which new requests it refuses with DROP (docs/replication.md, "Flow control").
/// Asked on the loop thread for each request; the decision itself is the node's. A status query (a FIXED-policy
/// request, told by the request's own routing policy) is always admitted: it changes nothing, and an overloaded node
/// is the one worth asking.
/// </summary>
internal sealed class FlowControl(ReplicatedNode node) : IR2P2AdmissionPolicy
{
    public bool TryAdmit(in R2P2AdmissionRequest request) => request.Policy == RoutingPolicy.Fixed || node.Admit();

    public void Release(in R2P2AdmissionRequest request)
    {
        // Nothing is counted per request: the bounds are on the log and the replies, which the node reads directly.
    }
}
