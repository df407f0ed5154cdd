namespace TailGuard.R2P2.Protocol;

/// <summary>Where one client call is (the reference client's state machine, plus Idle and Ended).</summary>
public enum CallState
{
    /// <summary>Not started, or reset after it ended.</summary>
    Idle,

    /// <summary>A multi-packet request sent its first packet and waits for the ACK.</summary>
    AwaitingAck,

    /// <summary>The whole request is sent; waiting for the response's FIRST packet (or DROP).</summary>
    AwaitingResponse,

    /// <summary>The response's FIRST packet arrived; packets 1..N-1 must follow in order.</summary>
    ReceivingResponse,

    /// <summary>The call ended (response, DROP, malformed response, timeout, cancellation); it may still hold its response.</summary>
    Ended,
}
