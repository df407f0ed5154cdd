using System;

namespace TailGuard.R2P2.Simulation;

/// <summary>Sees every datagram sent on an <see cref="InMemoryNetwork"/>, before faults apply (a wire tap for tests).</summary>
/// <param name="source">The sender's address.</param>
/// <param name="destination">The destination address.</param>
/// <param name="datagram">The bytes sent.</param>
public delegate void DatagramObserver(PacketAddress source, PacketAddress destination, ReadOnlySpan<byte> datagram);
