using System.Diagnostics.Metrics;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// One count of a statistics class (<see cref="R2P2ClientStatistics"/>, <see cref="R2P2ServerStatistics"/>,
/// <see cref="Routing.R2P2RouterStatistics"/>), read by any thread, optionally mirrored into its process-wide
/// instrument (<see cref="R2P2Metrics"/>). A count that several threads write uses <see cref="Increment(Counter{long})"/>
/// (an atomic add); a count that only one thread ever writes, the receive loop's, uses
/// <see cref="IncrementByOwner(Counter{long})"/>: a plain add published with a volatile write, which spares the loop a
/// locked instruction per packet. Readers see every count up to a recent one, never a torn value.
/// </summary>
internal struct StatisticCounter
{
    private long _value;

    /// <summary>The count so far.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Adds one, from any thread, and to <paramref name="instrument"/> when given.</summary>
    public void Increment(Counter<long>? instrument = null)
    {
        Interlocked.Increment(ref _value);
        instrument?.Add(1);
    }

    /// <summary>Adds <paramref name="count"/>, from any thread, and to <paramref name="instrument"/> when given.</summary>
    public void Add(long count, Counter<long>? instrument = null)
    {
        Interlocked.Add(ref _value, count);
        instrument?.Add(count);
    }

    /// <summary>Adds one from the only thread that writes this count (the receive loop), and to <paramref name="instrument"/>.</summary>
    public void IncrementByOwner(Counter<long>? instrument = null)
    {
        Volatile.Write(ref _value, _value + 1);
        instrument?.Add(1);
    }
}
