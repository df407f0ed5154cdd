namespace TailGuard.R2P2;

/// <summary>Where one client call is (the reference client's state machine, plus Free).</summary>
internal enum CallState
{
    /// <summary>In the pool, or finished and waiting for its result to be taken.</summary>
    Free,

    /// <summary>A multi-packet request sent its first packet and waits for the ACK.</summary>
    AwaitingAck,

    /// <summary>The whole request is sent; waiting for the response's FIRST packet (or DROP).</summary>
    AwaitingResponse,

    /// <summary>The response's FIRST packet arrived; packets 1..N-1 must follow in order.</summary>
    ReceivingResponse,
}
