using System;
using System.Net;
using TailGuard.R2P2;

namespace TailGuard.Replication;

/// <summary>
/// The one check of a multicast fan-out group, for the client's and the replicas' options alike (docs/replication.md,
/// "Fan-out"): an IPv4 multicast address (224.0.0.0/4) and a port from 1 to 65535.
/// </summary>
internal static class MulticastGroupCheck
{
    public static void Validate(IPEndPoint? group, string optionName)
    {
        if (group is null)
        {
            return;
        }

        if (!UdpMulticastMemberTransport.IsIPv4Multicast(group.Address))
        {
            throw new ArgumentException($"{optionName} must be an IPv4 multicast address (224.0.0.0 to 239.255.255.255), not {group.Address}.", optionName);
        }

        if (group.Port == 0)
        {
            throw new ArgumentException($"{optionName} needs a port from 1 to 65535, not 0 ({group}).", optionName);
        }
    }
}
