using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.R2P2.Simulation;

/// <summary>
/// A simulated UDP network (IPv4 and IPv6) inside the process. Endpoints bind addresses like real ones (10.0.0.1:9000,
/// [fd00::1]:9000); datagrams
/// are copied into the destination's bounded inbox (overflow is loss, as a full socket buffer is) and may be lost,
/// duplicated, reordered, delayed or corrupted by seeded random decisions, so a single-threaded run is reproducible.
/// It is not a mock: clients and servers run over it unchanged, with the same rules as over UDP.
/// </summary>
public sealed class InMemoryNetwork
{
    private const int FirstEphemeralPort = 49152;
    private readonly ConcurrentDictionary<PacketAddress, InMemoryTransport> _endpoints = new();
    private readonly object _randomSync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly Random _random;
    private NetworkFaults _faults;
    private int _nextEphemeral = FirstEphemeralPort;
    private long _sequence;
    private long _sent;
    private long _lost;
    private long _duplicated;
    private long _corrupted;
    private long _unroutable;

    /// <summary>Creates a network.</summary>
    /// <param name="seed">Seeds every fault decision.</param>
    /// <param name="faults">What goes wrong; <see cref="NetworkFaults.None"/> when null.</param>
    /// <param name="maxDatagramSize">The largest datagram (the UDP limit by default).</param>
    /// <param name="inboxCapacity">How many datagrams an endpoint holds before new ones are lost.</param>
    public InMemoryNetwork(int seed = 1, NetworkFaults? faults = null, int maxDatagramSize = 65507, int inboxCapacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramSize, Protocol.R2P2Header.Size);
        ArgumentOutOfRangeException.ThrowIfLessThan(inboxCapacity, 1);
        _random = new Random(seed);
        _faults = faults ?? NetworkFaults.None;
        MaxDatagramSize = maxDatagramSize;
        InboxCapacity = inboxCapacity;
        Store = new DatagramStore(maxDatagramSize, Math.Min(inboxCapacity, 8192));
    }

    /// <summary>The faults applied to datagrams sent from now on.</summary>
    public NetworkFaults Faults
    {
        get => Volatile.Read(ref _faults);
        set => Volatile.Write(ref _faults, value ?? NetworkFaults.None);
    }

    /// <summary>The largest datagram the network carries.</summary>
    public int MaxDatagramSize { get; }

    internal DatagramStore Store { get; }

    /// <summary>How many datagrams each endpoint's inbox holds.</summary>
    public int InboxCapacity { get; }

    /// <summary>Sees every datagram sent (before faults). Set it before traffic starts.</summary>
    public DatagramObserver? Observer { get; set; }

    /// <summary>Datagrams sent.</summary>
    public long DatagramsSent => Interlocked.Read(ref _sent);

    /// <summary>Datagrams lost by fault injection.</summary>
    public long DatagramsLost => Interlocked.Read(ref _lost);

    /// <summary>Extra copies delivered by fault injection.</summary>
    public long DatagramsDuplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Datagrams with a flipped bit.</summary>
    public long DatagramsCorrupted => Interlocked.Read(ref _corrupted);

    /// <summary>Datagrams sent to an address no endpoint has bound.</summary>
    public long DatagramsUnroutable => Interlocked.Read(ref _unroutable);

    /// <summary>Binds an endpoint whose inbox holds <see cref="InboxCapacity"/> datagrams.</summary>
    /// <param name="address">The address; port 0 picks a free ephemeral port on that IP.</param>
    /// <returns>The endpoint's transport.</returns>
    /// <exception cref="InvalidOperationException">The address is in use.</exception>
    public InMemoryTransport Bind(PacketAddress address) => Bind(address, InboxCapacity);

    /// <summary>
    /// Binds an endpoint with an inbox of its own size, as a socket with a small receive buffer (SO_RCVBUF): datagrams
    /// that arrive while it is full are lost and counted (<see cref="InMemoryTransport.DatagramsOverflowed"/>).
    /// </summary>
    /// <param name="address">The address; port 0 picks a free ephemeral port on that IP.</param>
    /// <param name="inboxCapacity">How many datagrams its inbox holds before new ones are lost (at least 1).</param>
    /// <returns>The endpoint's transport.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inboxCapacity"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The address is in use.</exception>
    public InMemoryTransport Bind(PacketAddress address, int inboxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inboxCapacity, 1);
        if (address.Port == 0)
        {
            for (var attempt = 0; attempt < 65536 - FirstEphemeralPort; attempt++)
            {
                var port = Interlocked.Increment(ref _nextEphemeral) - 1;
                port = FirstEphemeralPort + ((port - FirstEphemeralPort) % (65536 - FirstEphemeralPort));
                var candidate = address.WithPort((ushort)port);
                var transport = new InMemoryTransport(this, candidate, inboxCapacity);
                if (_endpoints.TryAdd(candidate, transport))
                {
                    return transport;
                }
            }

            throw new InvalidOperationException($"No free ephemeral port on {address}.");
        }

        var bound = new InMemoryTransport(this, address, inboxCapacity);
        if (!_endpoints.TryAdd(address, bound))
        {
            throw new InvalidOperationException($"The address {address} is already bound on this network.");
        }

        return bound;
    }

    /// <summary>Binds an endpoint given as "a.b.c.d:port" or "[IPv6]:port" (port 0 picks one).</summary>
    /// <param name="address">The address text.</param>
    /// <returns>The endpoint's transport.</returns>
    public InMemoryTransport Bind(string address) => Bind(PacketAddress.Parse(address));

    internal void Unbind(InMemoryTransport transport) => _endpoints.TryRemove(new(transport.LocalAddress, transport));

    internal void Transmit(PacketAddress source, PacketAddress destination, ReadOnlySpan<byte> datagram)
    {
        Interlocked.Increment(ref _sent);
        Observer?.Invoke(source, destination, datagram);
        if (datagram.Length > MaxDatagramSize)
        {
            Interlocked.Increment(ref _lost);
            return;
        }

        if (!_endpoints.TryGetValue(destination, out var target))
        {
            Interlocked.Increment(ref _unroutable);
            return;
        }

        var faults = Faults;
        var now = Stopwatch.GetTimestamp();
        if (faults.IsNone)
        {
            target.Enqueue(Copy(datagram, -1, 0), datagram.Length, source, now, Interlocked.Increment(ref _sequence));
            return;
        }

        int copies;
        long delay0, delay1;
        int corruptAt0, corruptAt1;
        byte corruptBit0, corruptBit1;
        lock (_randomSync)
        {
            if (_random.NextDouble() < faults.LossRate)
            {
                Interlocked.Increment(ref _lost);
                return;
            }

            copies = _random.NextDouble() < faults.DuplicationRate ? 2 : 1;
            (delay0, corruptAt0, corruptBit0) = DrawCopy(faults, datagram.Length);
            (delay1, corruptAt1, corruptBit1) = copies == 2 ? DrawCopy(faults, datagram.Length) : (0, -1, (byte)0);
        }

        if (copies == 2)
        {
            Interlocked.Increment(ref _duplicated);
        }

        target.Enqueue(Copy(datagram, corruptAt0, corruptBit0), datagram.Length, source, now + delay0, Interlocked.Increment(ref _sequence));
        if (copies == 2)
        {
            target.Enqueue(Copy(datagram, corruptAt1, corruptBit1), datagram.Length, source, now + delay1, Interlocked.Increment(ref _sequence));
        }
    }

    private (long Delay, int CorruptAt, byte Bit) DrawCopy(NetworkFaults faults, int length)
    {
        long delay = 0;
        if (_random.NextDouble() < faults.ReorderRate)
        {
            delay += (long)(_random.NextDouble() * faults.ReorderWindow.TotalSeconds * Stopwatch.Frequency);
        }

        if (_random.NextDouble() < faults.DelayRate)
        {
            delay += (long)(_random.NextDouble() * faults.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        }

        var corruptAt = -1;
        byte bit = 0;
        var reach = Math.Min(length, faults.CorruptibleBytes);
        if (reach > 0 && _random.NextDouble() < faults.CorruptionRate)
        {
            corruptAt = _random.Next(reach);
            bit = (byte)(1 << _random.Next(8));
        }

        return (delay, corruptAt, bit);
    }

    private byte[] Copy(ReadOnlySpan<byte> datagram, int corruptAt, byte bit)
    {
        var copy = Store.Rent(datagram.Length);
        datagram.CopyTo(copy);
        if (corruptAt >= 0)
        {
            copy[corruptAt] ^= bit;
            Interlocked.Increment(ref _corrupted);
        }

        return copy;
    }
}
