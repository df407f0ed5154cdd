using System;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// What a FEEDBACK names a finished request by: the client's address and port and the rid. An IPv6 client's scope id
/// is left out, since FEEDBACK does not carry it (docs/router.md, "IPv6").
/// </summary>
internal readonly record struct FeedbackKey(PacketAddress Client, ushort RequestId)
{
    /// <summary>The key of <paramref name="client"/>'s request <paramref name="requestId"/>.</summary>
    public static FeedbackKey Of(PacketAddress client, ushort requestId) => new(client.ScopeId == 0 ? client : WithoutScope(client), requestId);

    private static PacketAddress WithoutScope(PacketAddress client)
    {
        Span<byte> address = stackalloc byte[16];
        client.WriteIPv6Bytes(address);
        return new PacketAddress(address, client.Port);
    }
}
