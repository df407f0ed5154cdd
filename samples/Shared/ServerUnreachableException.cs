using System;
using System.Globalization;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Samples;

/// <summary>Calls to a server kept timing out: the sample stops instead of waiting out every remaining call.</summary>
internal sealed class ServerUnreachableException(string message) : Exception(message);

/// <summary>
/// Fails fast when a server does not answer: every caller reports each call's outcome, and
/// <see cref="Limit"/> timeouts in a row with no answer in between throw <see cref="ServerUnreachableException"/> on
/// the caller that saw the last one (R2P2 never retransmits, so each timeout is a whole call lost). Thread-safe.
/// </summary>
internal sealed class ConsecutiveTimeouts(PacketAddress server, TimeSpan timeout, int limit = ConsecutiveTimeouts.DefaultLimit)
{
    /// <summary>Timeouts in a row that mean the server is not answering.</summary>
    public const int DefaultLimit = 3;

    private int _inARow;

    /// <summary>Timeouts in a row that make <see cref="TimedOut"/> throw.</summary>
    public int Limit { get; } = limit;

    /// <summary>A call got an answer (a response or a DROP): the server is there.</summary>
    public void Answered() => Volatile.Write(ref _inARow, 0);

    /// <summary>A call timed out; throws once <see cref="Limit"/> have in a row.</summary>
    public void TimedOut()
    {
        if (Interlocked.Increment(ref _inARow) >= Limit)
        {
            throw new ServerUnreachableException(string.Create(
                CultureInfo.InvariantCulture,
                $"no answer from {server}: {Limit} calls in a row timed out after {timeout.TotalMilliseconds:0} ms each. Is a server running there?"));
        }
    }
}
