namespace TailGuard.R2P2;

/// <summary>An RPC's identity: (client IPv4, client port, rid).</summary>
internal readonly record struct ReassemblyKey(PacketAddress Client, ushort RequestId);
