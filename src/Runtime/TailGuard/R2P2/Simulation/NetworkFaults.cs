using System;

namespace TailGuard.R2P2.Simulation;

/// <summary>
/// What an <see cref="InMemoryNetwork"/> does wrong, per datagram, decided by its seeded random generator. Rates are
/// probabilities in [0, 1].
/// </summary>
public sealed class NetworkFaults
{
    /// <summary>A network that delivers every datagram once, intact, in order.</summary>
    public static NetworkFaults None { get; } = new();

    /// <summary>The probability a datagram is lost.</summary>
    public double LossRate { get; init; }

    /// <summary>The probability a datagram is delivered twice.</summary>
    public double DuplicationRate { get; init; }

    /// <summary>The probability a datagram is held back by up to <see cref="ReorderWindow"/>, so later ones overtake it.</summary>
    public double ReorderRate { get; init; }

    /// <summary>How long a reordered datagram may be held back.</summary>
    public TimeSpan ReorderWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The probability a datagram is delayed by up to <see cref="MaxDelay"/>.</summary>
    public double DelayRate { get; init; }

    /// <summary>The longest delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The probability one bit of a datagram is flipped (within its first <see cref="CorruptibleBytes"/> bytes).</summary>
    public double CorruptionRate { get; init; }

    /// <summary>
    /// How many leading bytes corruption may touch. Real UDP drops datagrams with a bad checksum, so payload corruption
    /// reaching R2P2 models a broken checksum; the default (8) corrupts headers, what a hostile or buggy peer sends.
    /// </summary>
    public int CorruptibleBytes { get; init; } = Protocol.R2P2Header.Size;

    internal bool IsNone => LossRate <= 0 && DuplicationRate <= 0 && ReorderRate <= 0 && DelayRate <= 0 && CorruptionRate <= 0;
}
