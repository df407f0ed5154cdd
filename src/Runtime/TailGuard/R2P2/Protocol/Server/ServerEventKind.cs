namespace TailGuard.R2P2.Protocol;

/// <summary>What a server does about one received datagram (<see cref="ServerProtocol.Receive"/>).</summary>
public enum ServerEventKind
{
    /// <summary>Drop the datagram and count it (see <see cref="ServerEvent.Rejection"/>).</summary>
    Rejected,

    /// <summary>The admission policy refused the request: send DROP to <see cref="ServerEvent.Client"/>; the handler does not run.</summary>
    Refused,

    /// <summary>The FIRST packet of a multi-packet request was stored (the protocol keeps the buffer): send ACK to <see cref="ServerEvent.Client"/>.</summary>
    Acknowledge,

    /// <summary>A continuation packet was stored (the protocol keeps the buffer); the request is not complete yet.</summary>
    Stored,

    /// <summary>A whole request: run the handler on <see cref="ServerEvent.Payload"/>, then call <see cref="ServerProtocol.EndDelivery"/>.</summary>
    Deliver,
}
