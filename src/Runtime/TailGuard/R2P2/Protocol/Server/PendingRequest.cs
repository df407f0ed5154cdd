namespace TailGuard.R2P2.Protocol;

/// <summary>
/// A multi-packet request being reassembled: its packets in arrival order, a bitmap of the indices held (the only
/// structure sized by the announced count: 1 bit per packet, charged to the byte bounds), and its places in the age
/// list of all requests and in its source's.
/// </summary>
internal sealed class PendingRequest
{
    public const int InlinePackets = 4;

    public readonly PacketBuffer?[] InlineArrived = new PacketBuffer?[InlinePackets];
    public readonly ulong[] InlineHeld = new ulong[1];
    public ReassemblyKey Key;
    public SourceState Source = null!;
    public PacketBuffer?[] Arrived;
    public ulong[] Held;
    public int Expected;
    public int Received;
    public long Bytes;
    public long CreatedAt;
    public RoutingPolicy Policy;
    public Security.R2P2Key? AuthenticatedBy;
    public ulong CallNonce;
    public PendingRequest? Older;
    public PendingRequest? Newer;
    public PendingRequest? SourceOlder;
    public PendingRequest? SourceNewer;

    public PendingRequest()
    {
        Arrived = InlineArrived;
        Held = InlineHeld;
    }

    /// <summary>What the request's own structures cost (the packets' buffers are counted apart).</summary>
    public long StructureBytes => ((long)Arrived.Length * System.IntPtr.Size) + ((long)Held.Length * sizeof(ulong));
}

/// <summary>One source's share of the reassembly table: its pending requests (oldest first) and what they hold.</summary>
internal sealed class SourceState
{
    public SourceKey Key;
    public int Count;
    public long Bytes;
    public int Slot;
    public PendingRequest? Oldest;
    public PendingRequest? Newest;
}
