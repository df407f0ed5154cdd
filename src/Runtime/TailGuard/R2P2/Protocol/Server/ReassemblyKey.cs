namespace TailGuard.R2P2.Protocol;

/// <summary>An RPC's identity on a server: (client address, client port, rid) (docs/design/r2p2.md).</summary>
/// <param name="Client">The client's address and port (the request's source).</param>
/// <param name="RequestId">The rid.</param>
public readonly record struct ReassemblyKey(PacketAddress Client, ushort RequestId);
