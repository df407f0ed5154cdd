using System;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using TailGuard.R2P2;

namespace TailGuard.Tool.Tests.Infrastructure;

/// <summary>Servers of known misbehaviour, in this process, on loopback port 0.</summary>
internal static class Servers
{
    /// <summary>A UDP socket that receives and never answers: "a port nobody serves" that stays ours for the test.</summary>
    public static UdpTransport BlackHole() => UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    /// <summary>A loopback TCP port with nothing listening (bound, then released).</summary>
    public static int ClosedTcpPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static R2P2Server Start(IR2P2Handler handler, R2P2ServerOptions? options = null)
        => R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), handler, options);

    public static string Address(this R2P2Server server) => server.LocalAddress.ToString();
}

/// <summary>Answers every request with three bytes, whatever it asked: a wrong-length echo.</summary>
internal sealed class ShortAnswer : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response) => response.Write("abc"u8);
}

/// <summary>A correct echo.</summary>
internal sealed class Echo : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}
