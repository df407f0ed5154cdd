namespace TailGuard.R2P2;

/// <summary>
/// What an <see cref="IR2P2AdmissionPolicy"/> is told about one request: everything it needs to decide without state
/// set aside for it. The same value reaches <see cref="IR2P2AdmissionPolicy.Release"/>, so a policy that exempts some
/// requests (by client, or by routing policy) releases exactly what it took.
/// </summary>
/// <param name="RequestId">The request's rid.</param>
/// <param name="Client">The request's source address (where its ACK, DROP or response goes).</param>
/// <param name="Policy">
/// The request's routing policy (its header's policy nibble; for a multi-packet request, its FIRST packet's), e.g.
/// <see cref="RoutingPolicy.Fixed"/> for a request that must not be rerouted or refused by load.
/// </param>
public readonly record struct R2P2AdmissionRequest(ushort RequestId, PacketAddress Client, RoutingPolicy Policy);
