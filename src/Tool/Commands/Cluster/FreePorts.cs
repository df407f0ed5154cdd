using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// Ports for a local cluster: each member needs one number free for both UDP (clients and replicas) and TCP (Raft).
/// The kernel picks an ephemeral UDP port, and it is kept only if TCP can bind it too; the sockets are closed before the
/// nodes start, so another program could take a port in between (the node then fails to start and says so).
/// </summary>
internal static class FreePorts
{
    public static IReadOnlyList<IPEndPoint> Pick(IPAddress host, int count)
    {
        var picked = new List<IPEndPoint>();
        var held = new List<IDisposable>();
        try
        {
            for (var attempt = 0; picked.Count < count; attempt++)
            {
                if (attempt > 1000)
                {
                    throw new InvalidOperationException($"could not find {count} ports free for both UDP and TCP on {host}");
                }

                var udp = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(host, 0));
                var endPoint = (IPEndPoint)udp.LocalEndPoint!;
                var tcp = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    tcp.Bind(endPoint);
                }
                catch (SocketException)
                {
                    udp.Dispose();
                    tcp.Dispose();
                    continue;
                }

                held.Add(udp);
                held.Add(tcp);
                picked.Add(endPoint);
            }

            return picked;
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
    }
}
