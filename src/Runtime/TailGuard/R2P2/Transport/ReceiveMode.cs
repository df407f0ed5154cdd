namespace TailGuard.R2P2;

/// <summary>How a receive loop waits for datagrams.</summary>
public enum ReceiveMode
{
    /// <summary>Sleeps in the kernel until a datagram arrives: no CPU when idle, a wake-up on every arrival.</summary>
    Blocking,

    /// <summary>Spins on a non-blocking receive (the R2P2/IX discipline): lowest latency, one core busy per loop.</summary>
    BusyPoll,
}
