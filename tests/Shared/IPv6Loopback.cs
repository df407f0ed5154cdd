using System;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Testing;

/// <summary>
/// Whether UDP on the IPv6 loopback address ::1 works on this machine (not where IPv6 is disabled, as in some
/// containers): the one probe every test project that needs it asks, probed once per process.
/// </summary>
internal static class IPv6Loopback
{
    private static readonly Lazy<string?> s_missing = new(Probe);

    /// <summary>Why UDP on ::1 cannot be used here (a skip reason), or null when it can.</summary>
    public static string? Missing => s_missing.Value;

    private static string? Probe()
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException error)
        {
            return $"needs UDP on the IPv6 loopback address ::1, which this machine refuses ({error.SocketErrorCode}); enable IPv6 on lo to run it";
        }
    }
}
