using System;

namespace TailGuard.R2P2;

/// <summary>
/// A protocol role run by a <see cref="ReceiveLoop"/>: the client, the server, a router. Every method is called on the
/// loop's thread, one at a time.
/// </summary>
public interface IReceiveLoopHandler
{
    /// <summary>Handles one received datagram.</summary>
    /// <param name="receiveLoop">The loop (to queue packets with <see cref="ReceiveLoop.Send"/>).</param>
    /// <param name="packet">The datagram and its source address.</param>
    /// <returns>True when the handler keeps the buffer (it owns it now: stores it, sends it or returns it); false lets the loop reuse it.</returns>
    bool OnPacket(ReceiveLoop receiveLoop, PacketBuffer packet);

    /// <summary>Fires what is due after each receive batch (timeouts, expiries).</summary>
    /// <param name="receiveLoop">The loop.</param>
    /// <param name="now">The current <see cref="System.Diagnostics.Stopwatch"/> timestamp.</param>
    /// <returns>The next deadline the loop must wake up for, or <see cref="long.MaxValue"/>.</returns>
    long OnTick(ReceiveLoop receiveLoop, long now);

    /// <summary>
    /// A datagram's processing, a tick or a receive threw: a defect, not bad input (bad input is dropped and counted by
    /// the handler itself). The loop goes on; the handler counts and reports it. Exceptions thrown here are swallowed.
    /// </summary>
    /// <param name="receiveLoop">The loop.</param>
    /// <param name="exception">What was thrown.</param>
    void OnError(ReceiveLoop receiveLoop, Exception exception);

    /// <summary>The loop is stopping (on its thread): release what the handler holds. Queued sends are flushed after this.</summary>
    /// <param name="receiveLoop">The loop.</param>
    void OnStopping(ReceiveLoop receiveLoop);
}
