using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>
/// The replica's admission policy: which new requests it refuses with DROP (docs/replication.md, "Flow control").
/// Asked on the loop thread for each request's first packet; the decision itself is the node's.
/// </summary>
internal sealed class FlowControl(ReplicatedNode node) : IR2P2AdmissionPolicy
{
    public bool TryAdmit(ushort requestId, PacketAddress client) => node.Admit();

    public void Release(ushort requestId, PacketAddress client)
    {
        // Nothing is counted per request: the bounds are on the log and the replies, which the node reads directly.
    }
}
