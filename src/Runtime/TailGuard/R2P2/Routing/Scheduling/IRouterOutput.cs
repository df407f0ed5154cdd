namespace TailGuard.R2P2.Routing;

/// <summary>
/// Where the <see cref="RouterScheduler"/>'s decisions go: it does no I/O itself. Both methods take ownership of the
/// buffer. The driver batches them and sends after the lock is released.
/// </summary>
internal interface IRouterOutput
{
    /// <summary>Sends the request (its <see cref="PacketBuffer.Address"/> is the client, the source to keep) to <paramref name="server"/>.</summary>
    void Forward(PacketBuffer request, PacketAddress server);

    /// <summary>Sends a message the router wrote into the buffer (a DROP) to <see cref="PacketBuffer.Address"/>, from the request port.</summary>
    void Reply(PacketBuffer message);
}
