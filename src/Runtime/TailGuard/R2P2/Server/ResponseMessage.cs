using System;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>A response as the server sends it: the payload's packets, then one FEEDBACK to the router when one is set.</summary>
internal static class ResponseMessage
{
    /// <summary>Builds what <paramref name="writer"/> holds into <paramref name="packets"/>; returns the count and whether a FEEDBACK was added.</summary>
    public static int Build(MessageWriter writer, PacketTransport transport, ushort requestId, PacketAddress client, PacketAddress? router, ref PacketBuffer[] packets, out bool feedback)
    {
        var count = writer.Build(MessageType.Response, RoutingPolicy.Fixed, requestId, client, ref packets);

        // FEEDBACK carries an IPv4 client; an IPv6 client cannot have come through an (IPv4) router, so it gets none.
        feedback = router is not null && client.IsIPv4;
        if (feedback)
        {
            if (packets.Length == count)
            {
                Array.Resize(ref packets, count + 1);
            }

            var message = transport.Rent(ControlMessages.FeedbackLength);
            message.Length = ControlMessages.WriteFeedback(message.Storage, requestId, client);
            message.Address = router!.Value;
            packets[count++] = message;
        }

        return count;
    }
}
