using System;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// A response as the server sends it: the payload's packets (each sealed for its call in authenticated mode), then one
/// FEEDBACK to the router when one is set.
/// </summary>
internal static class ResponseMessage
{
    /// <summary>Builds what <paramref name="writer"/> holds into <paramref name="packets"/>; returns the count and whether a FEEDBACK was added.</summary>
    public static int Build(MessageWriter writer, PacketTransport transport, ushort requestId, PacketAddress client, PacketAddress? router, in ReplySeal seal, ref PacketBuffer[] packets, out bool feedback)
    {
        var count = writer.Build(MessageType.Response, RoutingPolicy.Fixed, requestId, client, ref packets);
        for (var i = 0; i < count; i++)
        {
            seal.Apply(packets[i]);
        }

        // FEEDBACK names the client in its own family: 16 bytes for IPv4, TailGuard's 28-byte form for IPv6.
        feedback = router is not null;
        if (feedback)
        {
            if (packets.Length == count)
            {
                Array.Resize(ref packets, count + 1);
            }

            var message = transport.Rent(ControlMessages.FeedbackIPv6Length);
            message.Length = ControlMessages.WriteFeedback(message.Storage, requestId, client);
            message.Address = router!.Value;
            packets[count++] = message;
        }

        return count;
    }
}

/// <summary>What seals a call's replies in authenticated mode: the server's authenticator, the thread's ciphers (null off a loop thread), the call's key and nonce. Default: no sealing.</summary>
internal readonly record struct ReplySeal(Security.ServerAuthenticator? Authenticator, Security.ServerAuthenticator.CipherCache? Ciphers, Security.R2P2Key? Key, ulong CallNonce)
{
    /// <summary>Extra bytes each reply packet needs for its trailer.</summary>
    public int TrailerLength => Key is null ? 0 : Security.AuthenticatedWire.ReplyTrailerLength;

    /// <summary>Seals one reply packet for the call (nothing outside authenticated mode).</summary>
    public void Apply(PacketBuffer packet)
    {
        if (Key is not null)
        {
            Authenticator!.SealReply(Ciphers, packet, Key, CallNonce);
        }
    }
}
