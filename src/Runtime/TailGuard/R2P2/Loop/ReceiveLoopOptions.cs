using System;

namespace TailGuard.R2P2;

/// <summary>Settings of a <see cref="ReceiveLoop"/>.</summary>
public sealed class ReceiveLoopOptions
{
    /// <summary>The longest <see cref="SpinBudget"/> accepted.</summary>
    public static readonly TimeSpan MaxSpinBudget = TimeSpan.FromSeconds(1);

    /// <summary>The budget an adaptive loop spins for unless told otherwise (docs/r2p2.md, "Receive modes").</summary>
    public static readonly TimeSpan DefaultSpinBudget = TimeSpan.FromMicroseconds(50);

    /// <summary>How the loop waits for datagrams (<see cref="ReceiveMode.Adaptive"/> by default).</summary>
    public ReceiveMode Mode { get; init; } = ReceiveMode.Adaptive;

    /// <summary>
    /// In <see cref="ReceiveMode.Adaptive"/> mode, how long the loop keeps polling without blocking after its last
    /// datagram (or <see cref="ReceiveLoop.KeepSpinning"/>) before it sleeps in the kernel: about the cost of a wake-up
    /// is the classic choice (spinning longer than a wake-up costs saves nothing). 0 to 1 s; ignored by the other modes.
    /// </summary>
    public TimeSpan SpinBudget { get; init; } = DefaultSpinBudget;

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

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(Mode)} '{Mode}' is not a receive mode.");
        }

        if (SpinBudget < TimeSpan.Zero || SpinBudget > MaxSpinBudget)
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(SpinBudget)} must be between 0 and 1 s.");
        }

        if (IdleWait <= TimeSpan.Zero || IdleWait > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException($"{nameof(ReceiveLoopOptions)}.{nameof(IdleWait)} must be between 0 (exclusive) and 10 s.");
        }
    }
}
