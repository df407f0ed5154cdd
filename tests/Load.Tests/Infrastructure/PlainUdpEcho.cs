using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TailGuard.Load.Tests.Infrastructure;

/// <summary>How a <see cref="PlainUdpEcho"/> answers.</summary>
internal enum EchoBehaviour
{
    /// <summary>Each datagram back, once.</summary>
    Echo,

    /// <summary>Each datagram back twice: the second is a stale duplicate.</summary>
    Twice,

    /// <summary>Each datagram back one byte short.</summary>
    Truncated,
}

/// <summary>A plain UDP echo on loopback port 0, on its own thread, answering as <see cref="EchoBehaviour"/> says.</summary>
internal sealed class PlainUdpEcho : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public PlainUdpEcho(EchoBehaviour behaviour)
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 50;
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(() => Run(behaviour)) { IsBackground = true, Name = "plain UDP echo" };
        _thread.Start();
    }

    public IPEndPoint EndPoint { get; }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Run(EchoBehaviour behaviour)
    {
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, ref from);
            }
            catch (SocketException)
            {
                continue; // the receive timeout: check whether to stop
            }

            var answer = behaviour == EchoBehaviour.Truncated ? length - 1 : length;
            _socket.SendTo(buffer.AsSpan(0, answer), SocketFlags.None, from);
            if (behaviour == EchoBehaviour.Twice)
            {
                _socket.SendTo(buffer.AsSpan(0, answer), SocketFlags.None, from);
            }
        }
    }
}
