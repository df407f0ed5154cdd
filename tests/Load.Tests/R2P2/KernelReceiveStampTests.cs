using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TailGuard.Load.R2P2;
using TailGuard.Load.Tests.Infrastructure;
using TailGuard.Load.Timing;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.R2P2;

/// <summary>
/// The kernel receive stamp of <see cref="KernelTimestampingUdpTransport"/>, converted to the monotonic clock, lies
/// between the send and the return of the receive call that brought the datagram: a latency can never come out shorter
/// than it was (docs/load.md, "Timestamps close to the socket"). <see cref="Timing.RealtimeOffsetTests"/> covers a thread
/// stopped between the clock reads, which a real run only meets by chance.
/// </summary>
public sealed class KernelReceiveStampTests
{
    private const int Datagrams = 2_000;

    // The conversion's own error: half the widest clock-reading bracket it believes.
    private static readonly long Tolerance = RealtimeOffset.MaxBracketNanoseconds / 2 * Stopwatch.Frequency / 1_000_000_000;

    [KernelTimestampsFact]
    public void Every_stamp_lies_between_the_send_and_the_return_of_the_receive()
    {
        using var transport = KernelTimestampingUdpTransport.TryBind(new IPEndPoint(IPAddress.Loopback, 0), new UdpTransportOptions())!;
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var destination = new IPEndPoint(IPAddress.Loopback, transport.LocalAddress.Port);
        var datagram = new byte[8];
        var buffers = new PacketBuffer[1];
        var violations = 0;
        var last = "";
        for (var i = 0; i < Datagrams; i++)
        {
            var requestId = (ushort)(i + 1);
            datagram[4] = (byte)(requestId >> 8); // the request id: bytes 4-5, big-endian (docs/wire-format.md)
            datagram[5] = (byte)requestId;
            var sent = Stopwatch.GetTimestamp();
            sender.SendTo(datagram, destination);
            buffers[0] = transport.Rent(64);
            while (transport.Receive(buffers, 1_000) == 0)
            {
            }

            var returned = Stopwatch.GetTimestamp();
            buffers[0].Return();
            var stamp = transport.ReceivedAt(requestId);
            if (stamp < sent - Tolerance || stamp > returned)
            {
                violations++;
                last = $"datagram {i}: stamp {Stopwatch.GetElapsedTime(sent, stamp).TotalMicroseconds:F1} us after the send, receive returned {Stopwatch.GetElapsedTime(sent, returned).TotalMicroseconds:F1} us after it";
            }
        }

        var clocks = transport.Clocks;
        Assert.True(transport.KernelStamps > Datagrams / 2, $"only {transport.KernelStamps} of {Datagrams} datagrams carried a kernel stamp");
        Assert.True(clocks.IsKnown, "the stamps were not converted through the transport's clock offset");
        Assert.True(violations == 0, $"{violations} of {Datagrams} stamps outside [send, receive return]; last: {last}; {clocks.Refused} clock readings refused (widest {clocks.WidestRefusedNanoseconds / 1_000.0:F1} us)");
    }
}
