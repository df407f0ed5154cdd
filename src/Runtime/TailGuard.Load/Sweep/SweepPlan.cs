using System;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.Load;

/// <summary>
/// Which offered rates a sweep visits: a list of rates, or fractions of a capacity measured first with a saturating
/// closed loop (so "10% to 90% of what this server can do" means the same on any machine).
/// </summary>
public sealed class SweepPlan
{
    private SweepPlan(IReadOnlyList<double>? rates, IReadOnlyList<double>? fractions, TimeSpan capacityDuration)
    {
        Rates = rates;
        Fractions = fractions;
        CapacityDuration = capacityDuration;
    }

    /// <summary>The rates (requests per second), when the plan lists rates.</summary>
    public IReadOnlyList<double>? Rates { get; }

    /// <summary>The fractions of the measured capacity (0.1 = 10%), when the plan is relative.</summary>
    public IReadOnlyList<double>? Fractions { get; }

    /// <summary>How long the capacity probe runs (relative plans only).</summary>
    public TimeSpan CapacityDuration { get; }

    /// <summary>Requests in flight per connection during the capacity probe.</summary>
    public int CapacityDepth { get; init; } = 16;

    /// <summary>A pause between points, so queues left by one point drain before the next.</summary>
    public TimeSpan Pause { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A sweep over given rates, in the order given.</summary>
    /// <param name="rates">Requests per second, each positive.</param>
    /// <returns>The plan.</returns>
    public static SweepPlan OfRates(IEnumerable<double> rates)
    {
        ArgumentNullException.ThrowIfNull(rates);
        var list = rates.ToArray();
        if (list.Length == 0 || list.Any(r => !(r > 0 && double.IsFinite(r))))
        {
            throw new ArgumentException("A sweep needs at least one rate, each a positive number of requests per second.", nameof(rates));
        }

        return new SweepPlan(list, null, TimeSpan.Zero);
    }

    /// <summary>A sweep over fractions of the target's measured capacity.</summary>
    /// <param name="fractions">Fractions of capacity, each in (0, 2].</param>
    /// <param name="capacityDuration">How long to measure the capacity.</param>
    /// <returns>The plan.</returns>
    public static SweepPlan OfCapacity(IEnumerable<double> fractions, TimeSpan capacityDuration)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        var list = fractions.ToArray();
        if (list.Length == 0 || list.Any(f => !(f > 0 && f <= 2)))
        {
            throw new ArgumentException("A sweep needs at least one fraction of capacity, each above 0% and at most 200%.", nameof(fractions));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(capacityDuration, TimeSpan.Zero);
        return new SweepPlan(null, list, capacityDuration);
    }

    /// <summary>Fractions from <paramref name="from"/> to <paramref name="to"/> by <paramref name="step"/> (10%..90% by 10%).</summary>
    /// <param name="from">The first fraction.</param>
    /// <param name="to">The last fraction (included when the steps land on it).</param>
    /// <param name="step">The step.</param>
    /// <returns>The fractions.</returns>
    public static IReadOnlyList<double> Steps(double from, double to, double step)
    {
        if (!(step > 0) || !(to >= from))
        {
            throw new ArgumentException("A range needs its end at or above its start and a positive step.");
        }

        var fractions = new List<double>();
        for (var i = 0; ; i++)
        {
            var value = from + i * step;
            if (value > to + 1e-9)
            {
                break;
            }

            fractions.Add(Math.Round(value, 9));
        }

        return fractions;
    }
}
