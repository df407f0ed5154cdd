using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// Bursts over the veth pair with the receiving loop paused on purpose (docs/xdp.md, "Bursts"): a burst the rings can
/// hold is answered whole however long the loop was away; a burst they cannot hold loses exactly what the kernel
/// counts (<see cref="XdpStatistics.KernelReceiveLosses"/>), never more; and after bursts and failed sends every UMEM
/// frame is in exactly one place (free, with the kernel to receive, held, with the kernel to send).
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class BurstTests(VethFixture veth, ITestOutputHelper output) : IClassFixture<VethFixture>
{
    private const int RingSize = 64;

    [NetworkFact]
    public void A_burst_larger_than_the_rings_while_the_receiver_is_paused_loses_only_what_the_kernel_counts()
    {
        using var xdp = OpenXdp();
        using var udp = NumberedTraffic.OpenWarmPeer(veth.Pair, xdp);
        var before = xdp.Statistics;

        // Nobody receives while the burst arrives: the kernel fills what the fill ring offers, then must drop.
        const int sent = 6 * RingSize;
        NumberedTraffic.SendNumbered(udp, xdp.LocalAddress, 0, sent);
        var received = NumberedTraffic.Drain(xdp, out var numbers);

        var after = xdp.Statistics;
        output.WriteLine($"sent {sent}, received {received}; {after}");
        output.WriteLine(veth.Pair.LinkStatisticsA()); // where the same losses show outside the transport (RX dropped)
        var redirected = after.ProgramRedirected - before.ProgramRedirected;
        var lost = after.KernelReceiveLosses - before.KernelReceiveLosses;
        Assert.Equal(sent, redirected); // every datagram reached the program: the loss, if any, is the socket's
        Assert.Equal(received, numbers.Count); // none twice
        Assert.Equal(RingSize, received); // a full fill ring, into an empty RX ring: what the rings can hold, all of it
        Assert.True(lost > 0, "a burst of six rings' worth with nobody receiving must overflow");
        Assert.Equal(sent, received + lost); // each datagram received or counted, none lost silently
        Assert.Equal(0, after.ReceiveDrops - before.ReceiveDrops);
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);

        // The transport goes on: the next burst, within the rings, arrives whole.
        NumberedTraffic.SendNumbered(udp, xdp.LocalAddress, sent, RingSize / 2);
        Assert.Equal(RingSize / 2, NumberedTraffic.Drain(xdp, out _));
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    [NetworkFact]
    public void Bursts_within_the_rings_are_answered_whole_while_the_echo_loop_is_paused_between_them()
    {
        using var xdp = OpenXdp();
        using var udp = NumberedTraffic.OpenWarmPeer(veth.Pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress);
        var before = xdp.Statistics;

        using var echo = new PausableEcho(xdp);
        const int rounds = 40;
        var lost = 0;
        var next = 0;
        var replies = new[] { new PacketBuffer(2048) };
        for (var round = 0; round < rounds; round++)
        {
            // Every other burst lands while the loop sleeps: the rings must hold it until the loop is back. The burst
            // sizes vary up to the whole ring, so the TX ring and completion ring wrap at different points.
            var burst = round % 5 == 4 ? RingSize : 1 + (round * 13 % RingSize);
            if (round % 2 == 0)
            {
                echo.Pause(TimeSpan.FromMilliseconds(30));
            }

            NumberedTraffic.SendNumbered(udp, xdp.LocalAddress, next, burst);
            var expected = new HashSet<int>();
            for (var i = 0; i < burst; i++)
            {
                expected.Add(next + i);
            }

            next += burst;
            var deadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
            while (expected.Count > 0 && Stopwatch.GetTimestamp() < deadline)
            {
                if (udp.Receive(replies, 20) == 1)
                {
                    expected.Remove(BinaryPrimitives.ReadInt32LittleEndian(replies[0].Span));
                }
            }

            lost += expected.Count;
        }

        echo.Stop();
        var after = xdp.Statistics;
        output.WriteLine($"{next} requests in {rounds} bursts, {lost} unanswered; {after}; echo loop sent {echo.Sent}");
        Assert.Equal(0, after.KernelReceiveLosses - before.KernelReceiveLosses);
        Assert.Equal(0, after.TransmitRingFullDrops);
        Assert.Equal(0, lost);
        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    [NetworkFact]
    public void Failed_sends_and_foreign_buffers_leave_every_frame_accounted_for()
    {
        using var xdp = OpenXdp();
        using var udp = NumberedTraffic.OpenWarmPeer(veth.Pair, xdp);
        xdp.ResolveNeighbour(udp.LocalAddress);
        var before = xdp.Statistics;

        // The largest datagram (sent), one too large for the MTU, one for a link-local address on another
        // interface (nothing is sent), a managed buffer copied into a frame, and a rent beyond the UMEM.
        var largest = xdp.Rent(xdp.MaxDatagramSize);
        largest.Length = xdp.MaxDatagramSize;
        largest.Address = udp.LocalAddress;
        var bigFrame = xdp.Rent(0);
        bigFrame.Length = Math.Min(bigFrame.Capacity, 3000);
        bigFrame.Address = udp.LocalAddress;
        var unroutable = xdp.Rent(16);
        unroutable.Length = 16;
        unroutable.Address = PacketAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("fe80::1%999"), 9));
        var foreign = new PacketBuffer(64) { Length = 8, Address = udp.LocalAddress };
        xdp.Send([largest, bigFrame, unroutable, foreign]);

        var rented = new List<PacketBuffer>();
        for (var i = 0; i < 4 * RingSize; i++)
        {
            rented.Add(xdp.Rent(64)); // past the free frames: managed overflow buffers
        }

        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 3 * RingSize); // 4 rings of frames, one with the kernel to receive
        foreach (var buffer in rented)
        {
            buffer.Length = 4;
            buffer.Address = udp.LocalAddress;
        }

        xdp.Send(rented.ToArray()); // UMEM frames go as they are; overflow buffers find no frame free and are counted
        var after = xdp.Statistics;
        output.WriteLine(after.ToString());
        Assert.True(after.OversizedSendDrops - before.OversizedSendDrops >= 1, after.ToString());
        Assert.Equal(1, after.UnroutableDrops - before.UnroutableDrops);
        Assert.True(after.RentOverflows - before.RentOverflows >= RingSize, after.ToString());
        var drainDeadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        var replies = new[] { new PacketBuffer(2048) };
        while (udp.Receive(replies, 50) > 0 && Stopwatch.GetTimestamp() < drainDeadline)
        {
        }

        NumberedTraffic.AssertEveryFrameAccountedFor(xdp, output, RingSize, held: 0);
    }

    /// <summary>AF_XDP on side A with small rings (64 entries, 256 frames), so a burst overflows them quickly.</summary>
    private XdpTransport OpenXdp()
    {
        var pair = veth.Pair;
        return NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, RingSize = RingSize, FrameCount = 4 * RingSize }));
    }

    /// <summary>An echo loop on its own thread, answering from the frame received, that can be paused on purpose.</summary>
    private sealed class PausableEcho : IDisposable
    {
        private readonly XdpTransport _xdp;
        private readonly Thread _thread;
        private long _pausedUntil;
        private volatile bool _stop;
        private Exception? _failure;

        public PausableEcho(XdpTransport xdp)
        {
            _xdp = xdp;
            _thread = new Thread(Run) { IsBackground = true, Name = "xdp echo" };
            _thread.Start();
        }

        public long Sent { get; private set; }

        public void Pause(TimeSpan duration) => Interlocked.Exchange(ref _pausedUntil, Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency));

        public void Stop()
        {
            _stop = true;
            _thread.Join();
            if (_failure is not null)
            {
                throw new InvalidOperationException("The echo loop failed.", _failure);
            }
        }

        public void Dispose()
        {
            if (!_stop)
            {
                _stop = true;
                _thread.Join();
            }
        }

        private void Run()
        {
            var slots = new PacketBuffer[32];
            try
            {
                for (var i = 0; i < slots.Length; i++)
                {
                    slots[i] = _xdp.Rent(_xdp.MaxDatagramSize);
                }

                while (!_stop)
                {
                    var pausedFor = Interlocked.Read(ref _pausedUntil) - Stopwatch.GetTimestamp();
                    if (pausedFor > 0)
                    {
                        Thread.Sleep(TimeSpan.FromSeconds((double)pausedFor / Stopwatch.Frequency));
                        continue;
                    }

                    var n = _xdp.Receive(slots, 10);
                    if (n == 0)
                    {
                        continue;
                    }

                    _xdp.Send(slots.AsSpan(0, n)); // each reply from its request's frame, to its source
                    Sent += n;
                    for (var i = 0; i < n; i++)
                    {
                        slots[i] = _xdp.Rent(_xdp.MaxDatagramSize);
                    }
                }
            }
            catch (Exception e)
            {
                _failure = e;
            }
            finally
            {
                foreach (var slot in slots)
                {
                    slot?.Return();
                }
            }
        }
    }
}
