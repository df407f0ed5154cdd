namespace TailGuard.R2P2;

/// <summary>
/// How a receive loop waits for datagrams. Which one wins depends on the load and on how many cores the spinning
/// threads have: docs/r2p2.md, "Receive modes".
/// </summary>
public enum ReceiveMode
{
    /// <summary>Sleeps in the kernel until a datagram arrives: no CPU when idle, a wake-up on every arrival.</summary>
    Blocking,

    /// <summary>Spins on a non-blocking receive (the R2P2/IX discipline): lowest latency, one core busy per loop.</summary>
    BusyPoll,

    /// <summary>
    /// Spins on a non-blocking receive for a budget of time after each datagram (and each send of the loop's own), then
    /// sleeps in the kernel until the next one (the IX/Shenango discipline): busy-polling latency while traffic flows,
    /// no CPU when it stops, and a wake-up only for the first datagram after a quiet spell. The default.
    /// </summary>
    Adaptive,
}
