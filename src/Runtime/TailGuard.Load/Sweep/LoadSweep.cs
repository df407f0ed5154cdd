using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Load;

/// <summary>The points of one sweep against one target.</summary>
public sealed class LoadSweepResult
{
    /// <summary>The target's name.</summary>
    public required string Target { get; init; }

    /// <summary>The measured capacity (expected responses per second), when the plan was relative to it.</summary>
    public double? Capacity { get; init; }

    /// <summary>The points, in the order run.</summary>
    public required IReadOnlyList<LoadPointResult> Points { get; init; }

    /// <summary>Whether every point passed every self-check.</summary>
    public bool Passed => Points.All(p => p.Passed);

    /// <summary>
    /// The highest offered rate whose point passed its checks, had no errors and a p99 below
    /// <paramref name="p99Limit"/>; null when none did.
    /// </summary>
    /// <param name="p99Limit">The p99 bound.</param>
    /// <returns>The rate, requests per second.</returns>
    public double? HighestRateWithin(TimeSpan p99Limit)
        => Points
            .Where(p => p.Passed && p.Errors == 0 && p.Percentile(99).Microseconds <= p99Limit.TotalMicroseconds)
            .Select(p => (double?)p.AchievedRate)
            .Max();
}

/// <summary>Runs a <see cref="SweepPlan"/>: a point per rate, each with its own checks.</summary>
public static class LoadSweep
{
    /// <summary>Runs the sweep.</summary>
    /// <param name="runner">A local generator or a coordinator of agents.</param>
    /// <param name="plan">The rates to visit.</param>
    /// <param name="progress">Told what each point is doing; may be null.</param>
    /// <param name="pointDone">Called after each point (to print it as it comes); may be null.</param>
    /// <param name="cancellationToken">Stops the sweep.</param>
    /// <returns>The sweep's points.</returns>
    public static async Task<LoadSweepResult> RunAsync(
        ILoadPointRunner runner,
        SweepPlan plan,
        IProgress<LoadProgress>? progress = null,
        Action<LoadPointResult>? pointDone = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(plan);
        double? capacity = null;
        IReadOnlyList<double> rates;
        if (plan.Rates is { } given)
        {
            rates = given;
        }
        else
        {
            capacity = await runner.MeasureCapacityAsync(plan.CapacityDuration, plan.CapacityDepth, progress, cancellationToken).ConfigureAwait(false);
            if (!(capacity > 0))
            {
                throw new InvalidOperationException($"{runner.TargetName} answered no request during the capacity probe: is the server running?");
            }

            rates = plan.Fractions!.Select(f => f * capacity.Value).ToArray();
            await Task.Delay(plan.Pause, cancellationToken).ConfigureAwait(false);
        }

        var points = new List<LoadPointResult>();
        foreach (var rate in rates)
        {
            var point = await runner.RunOpenLoopAsync(rate, progress, cancellationToken).ConfigureAwait(false);
            points.Add(point);
            pointDone?.Invoke(point);
            await Task.Delay(plan.Pause, cancellationToken).ConfigureAwait(false);
        }

        return new LoadSweepResult { Target = runner.TargetName, Capacity = capacity, Points = points };
    }
}
