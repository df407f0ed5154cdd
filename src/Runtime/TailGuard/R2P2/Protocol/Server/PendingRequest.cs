namespace TailGuard.R2P2.Protocol;

/// <summary>A multi-packet request being reassembled: its packets by index and its place in the age list.</summary>
internal sealed class PendingRequest
{
    public ReassemblyKey Key;
    public PacketBuffer?[] Packets = new PacketBuffer?[4];
    public int Expected;
    public int Received;
    public long Bytes;
    public long CreatedAt;
    public RoutingPolicy Policy;
    public PendingRequest? Older;
    public PendingRequest? Newer;
}
