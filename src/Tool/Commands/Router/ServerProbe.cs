using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Router;

/// <summary>
/// What the router can find out about its servers before it routes to them: that a route to each exists, and that none
/// answers one empty datagram with "port unreachable" (nothing listens there). UDP cannot prove a server is up, so
/// silence passes; a server counts the empty datagram as malformed.
/// </summary>
internal static class ServerProbe
{
    /// <summary>The first problem found, in words, or null.</summary>
    public static string? FindUnreachable(IReadOnlyList<PacketAddress> servers, TimeSpan wait)
    {
        var sockets = new List<(PacketAddress Server, Socket Socket)>();
        try
        {
            foreach (var server in servers)
            {
                var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                sockets.Add((server, socket));
                try
                {
                    socket.Connect(server.ToEndPoint());
                    socket.Send(ReadOnlySpan<byte>.Empty);
                }
                catch (SocketException error)
                {
                    return $"cannot reach the server {server}: {Reason(error)}";
                }
            }

            Thread.Sleep(wait);
            var scratch = new byte[1];
            foreach (var (server, socket) in sockets)
            {
                socket.Blocking = false;
                try
                {
                    socket.Receive(scratch);
                }
                catch (SocketException error) when (error.SocketErrorCode == SocketError.WouldBlock)
                {
                    // No answer: as expected of an R2P2 server.
                }
                catch (SocketException error)
                {
                    return error.SocketErrorCode == SocketError.ConnectionRefused
                        ? $"nothing listens on the server {server} (its host answered 'port unreachable'); start the servers first, or pass --no-probe"
                        : $"cannot reach the server {server}: {Reason(error)}";
                }
            }

            return null;
        }
        finally
        {
            foreach (var (_, socket) in sockets)
            {
                socket.Dispose();
            }
        }
    }

    private static string Reason(SocketException error) => error.SocketErrorCode switch
    {
        SocketError.NetworkUnreachable => "no route to its network",
        SocketError.HostUnreachable => "no route to the host",
        SocketError.AddressNotAvailable => "that address cannot be sent to from here",
        _ => error.Message,
    };
}
