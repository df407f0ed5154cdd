using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// A UDP endpoint that is also a member of an IPv4 multicast group: a unicast socket (<see cref="UdpTransport"/>) and a
/// socket joined to the group, received together by one receive loop, so what arrives through the group takes exactly
/// the path, checks and thread of what arrives by unicast. Everything it sends leaves from the unicast socket, whose
/// address is <see cref="LocalAddress"/>: the group is an extra way in, never a source (peers that bind answers to
/// their servers' addresses, docs/security.md, see the unicast address). Replicas of a replicated service use it
/// (docs/replication.md, "Fan-out"). Buffers are the unicast transport's.
/// </summary>
public sealed unsafe class UdpMulticastMemberTransport : PacketTransport
{
    private readonly UdpTransport _unicast;
    private readonly UdpTransport _group;
    private readonly List<Socket> _selectScratch = new(2);
    private long _groupDatagrams;
    private bool _groupFirst;
    private bool _lastReceiveEmptied;
    private int _disposed;

    private UdpMulticastMemberTransport(UdpTransport unicast, UdpTransport group, IPEndPoint groupEndPoint)
    {
        _unicast = unicast;
        _group = group;
        Group = groupEndPoint;
    }

    /// <summary>The unicast address: where everything is sent from, and where unicast datagrams arrive.</summary>
    public override PacketAddress LocalAddress => _unicast.LocalAddress;

    /// <inheritdoc/>
    public override int MaxDatagramSize => _unicast.MaxDatagramSize;

    /// <summary>The multicast group (address and port) this endpoint receives too.</summary>
    public IPEndPoint Group { get; }

    /// <summary>Datagrams received through the group since it was opened.</summary>
    public long GroupDatagrams => Interlocked.Read(ref _groupDatagrams);

    /// <summary>Datagrams either socket dropped because they did not fit the receive buffer.</summary>
    public long DatagramsTruncated => _unicast.DatagramsTruncated + _group.DatagramsTruncated;

    /// <summary>Datagrams the kernel refused to send (lost, as UDP loses them).</summary>
    public long SendErrors => _unicast.SendErrors;

    /// <inheritdoc/>
    internal override bool WatchesReceiveQueue => _unicast.WatchesReceiveQueue && _group.WatchesReceiveQueue;

    /// <inheritdoc/>
    internal override long ReceiveQueueDrops => _unicast.ReceiveQueueDrops + _group.ReceiveQueueDrops;

    /// <inheritdoc/>
    internal override bool LastReceiveEmptiedQueue => _lastReceiveEmptied;

    /// <summary>
    /// Binds the unicast socket to <paramref name="localEndPoint"/> and joins <paramref name="group"/> on the interface
    /// that has the local address (the kernel's choice for <see cref="IPAddress.Any"/>). Several endpoints on one host
    /// may join the same group and port: each receives every datagram sent to it (SO_REUSEADDR). The network must carry
    /// the group there: on a host's loopback that means multicast on lo and a 224.0.0.0/4 route to it (docs/replication.md).
    /// </summary>
    /// <param name="localEndPoint">The unicast IPv4 address and port (0 picks one).</param>
    /// <param name="group">The group: an IPv4 multicast address (224.0.0.0/4) and a port other than 0.</param>
    /// <param name="options">Settings of both sockets (buffers, batching; the multicast send settings apply to the unicast socket); defaults when null.</param>
    /// <returns>The transport.</returns>
    /// <exception cref="ArgumentException">The local address is not IPv4, or the group is not an IPv4 multicast address with a port.</exception>
    /// <exception cref="SocketException">A socket could not be bound or could not join the group.</exception>
    public static UdpMulticastMemberTransport Bind(IPEndPoint localEndPoint, IPEndPoint group, UdpTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        ArgumentNullException.ThrowIfNull(group);
        if (localEndPoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"A multicast group member binds an IPv4 address (the group is IPv4), not '{localEndPoint}'.", nameof(localEndPoint));
        }

        if (!IsIPv4Multicast(group.Address) || group.Port == 0)
        {
            throw new ArgumentException($"A multicast group is an IPv4 multicast address (224.0.0.0/4) and a port from 1 to 65535, not '{group}'.", nameof(group));
        }

        options ??= new UdpTransportOptions();
        if (options.ReusePort)
        {
            throw new ArgumentException("A multicast group member's unicast socket does not share its port (ReusePort).", nameof(options));
        }

        var unicast = UdpTransport.Bind(localEndPoint, options);
        try
        {
            var joined = UdpTransport.JoinGroup(group, localEndPoint.Address, options);
            return new UdpMulticastMemberTransport(unicast, joined, new IPEndPoint(group.Address, group.Port));
        }
        catch
        {
            unicast.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="address"/> is an IPv4 multicast address (224.0.0.0/4).</summary>
    /// <param name="address">The address.</param>
    /// <returns>True for 224.0.0.0 to 239.255.255.255.</returns>
    public static bool IsIPv4Multicast(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return (bytes[0] & 0xF0) == 0xE0;
    }

    /// <inheritdoc/>
    public override PacketBuffer Rent(int capacity) => _unicast.Rent(capacity);

    /// <inheritdoc/>
    public override void Send(ReadOnlySpan<PacketBuffer> packets) => _unicast.Send(packets);

    /// <inheritdoc/>
    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        _lastReceiveEmptied = false;
        if (Volatile.Read(ref _disposed) != 0 || buffers.IsEmpty)
        {
            return 0;
        }

        var received = ReceiveBoth(buffers);
        if (received > 0 || timeoutMilliseconds <= 0)
        {
            return received;
        }

        if (!WaitEither(timeoutMilliseconds))
        {
            _lastReceiveEmptied = true; // nothing arrived on either socket while it waited
            return 0;
        }

        return ReceiveBoth(buffers);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _group.Dispose();
            _unicast.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// One non-blocking receive from each socket, the first one alternating, so a socket whose queue fills every batch
    /// never starves the other.
    /// </summary>
    private int ReceiveBoth(Span<PacketBuffer> buffers)
    {
        _groupFirst = !_groupFirst;
        var (first, second) = _groupFirst ? (_group, _unicast) : (_unicast, _group);
        var fromFirst = first.Receive(buffers, 0);
        var emptied = first.LastReceiveEmptiedQueue;
        var fromSecond = 0;
        if (fromFirst < buffers.Length)
        {
            fromSecond = second.Receive(buffers[fromFirst..], 0);
            emptied &= second.LastReceiveEmptiedQueue;
        }
        else
        {
            emptied = false; // the second socket was not read
        }

        var fromGroup = _groupFirst ? fromFirst : fromSecond;
        if (fromGroup > 0)
        {
            Interlocked.Add(ref _groupDatagrams, fromGroup);
        }

        _lastReceiveEmptied = emptied;
        return fromFirst + fromSecond;
    }

    /// <summary>Waits until either socket has a datagram (poll on Linux, Socket.Select elsewhere); false when the time passed.</summary>
    private bool WaitEither(int timeoutMilliseconds)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                var fds = stackalloc LinuxSocketInterop.PollFd[2];
                fds[0] = new LinuxSocketInterop.PollFd { Fd = _unicast.Descriptor, Events = LinuxSocketInterop.PollIn };
                fds[1] = new LinuxSocketInterop.PollFd { Fd = _group.Descriptor, Events = LinuxSocketInterop.PollIn };
                return LinuxSocketInterop.poll(fds, 2, timeoutMilliseconds) > 0; // EINTR (-1): the loop receives again
            }

            _selectScratch.Clear();
            _selectScratch.Add(_unicast.Socket);
            _selectScratch.Add(_group.Socket);
            Socket.Select(_selectScratch, null, null, timeoutMilliseconds * 1000);
            return _selectScratch.Count > 0;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}
