using System;

namespace TailGuard.R2P2;

/// <summary>Settings of a <see cref="ReceiveLoop"/>.</summary>
public sealed class ReceiveLoopOptions
{
    /// <summary>How the loop waits for datagrams.</summary>
    public ReceiveMode Mode { get; init; } = ReceiveMode.Blocking;

    /// <summary>How many datagrams one receive call may return (1 to 1024).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>The capacity of each receive buffer: the largest datagram the loop takes (larger ones are dropped by the transport).</summary>
    public int BufferSize { get; init; } = Protocol.R2P2Header.Size + Protocol.Fragmenter.DefaultPayloadSize;

    /// <summary>How long a blocking wait lasts at most, so the loop notices a stop and ticks without traffic.</summary>
    public TimeSpan IdleWait { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The loop thread's name (for debuggers and profilers).</summary>
    public string ThreadName { get; init; } = "R2P2 receive loop";

    internal void Validate(PacketTransport transport)
    {
        if (BatchSize is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(BatchSize)} must be between 1 and 1024.");
        }

        if (BufferSize < Protocol.R2P2Header.Size || BufferSize > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(BufferSize)} must be between {Protocol.R2P2Header.Size} and the transport's datagram size ({transport.MaxDatagramSize}).");
        }

        if (IdleWait <= TimeSpan.Zero || IdleWait > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(IdleWait)} must be between 0 (exclusive) and 10 s.");
        }
    }
}
