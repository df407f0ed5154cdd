namespace TailGuard.R2P2.Routing;

/// <summary>How an <see cref="R2P2Router"/> places load-balanced requests (docs/router.md, "Policies").</summary>
public enum RouterPolicyKind
{
    /// <summary>Every request goes to the fixed server (<see cref="R2P2RouterOptions.FixedServer"/>).</summary>
    Fixed,

    /// <summary>A server chosen uniformly at random, at once, whatever its queue.</summary>
    Random,

    /// <summary>The servers in turn, at once, whatever their queues.</summary>
    RoundRobin,

    /// <summary>Join-the-Shortest-Queue: at once, to a server with the fewest requests outstanding (idle servers first).</summary>
    ShortestQueue,

    /// <summary>
    /// Join-Bounded-Shortest-Queue, JBSQ(n): at most n requests outstanding per server; a request that finds no free
    /// credit waits in one central FIFO at the router until a FEEDBACK returns one.
    /// </summary>
    BoundedShortestQueue,
}
