using System;
using System.IO;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Tool.Cli;

/// <summary>Socket failures in words a user can act on.</summary>
internal static class SocketErrors
{
    public static ToolException Listen(IPEndPoint endPoint, Exception error)
    {
        var socket = error as SocketException ?? error.InnerException as SocketException;
        var reason = socket?.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => "the address is already in use (another server is listening there)",
            SocketError.AddressNotAvailable => "that address is not one of this machine's",
            SocketError.AccessDenied => "permission denied (ports below 1024 need root)",
            _ when error is IOException && error.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) => "the address is already in use (another server is listening there)",
            _ => socket?.Message ?? error.Message,
        };
        return new ToolException($"cannot listen on {endPoint}: {reason}", error); // IPEndPoint prints IPv6 in brackets
    }
}
