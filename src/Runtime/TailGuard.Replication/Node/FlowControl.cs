using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>
/// The replica's admission policy: which new requests it refuses with DROP (docs/replication.md, "Flow control").
/// Asked on the loop thread for each request's first packet; the decision itself is the node's. A status query (a
/// FIXED-policy request) is always admitted: it changes nothing, and an overloaded node is the one worth asking.
/// </summary>
internal sealed class FlowControl(ReplicatedNode node) : IR2P2AdmissionPolicy
{
    /// <summary>Whether the packet being received is a status query (set by the replica's loop before each packet; loop thread only).</summary>
    public bool StatusQuery { get; set; }

    public bool TryAdmit(ushort requestId, PacketAddress client) => StatusQuery || node.Admit();

    public void Release(ushort requestId, PacketAddress client)
    {
        // Nothing is counted per request: the bounds are on the log and the replies, which the node reads directly.
    }
}
