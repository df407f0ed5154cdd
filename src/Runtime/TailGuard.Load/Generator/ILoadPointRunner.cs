using System;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Load;

/// <summary>
/// Runs measured points against one target: a local <see cref="LoadGenerator"/>, or a
/// <see cref="Distributed.LoadCoordinator"/> driving agents on several machines. A <see cref="LoadSweep"/> runs on either.
/// </summary>
public interface ILoadPointRunner
{
    /// <summary>The target's name.</summary>
    string TargetName { get; }

    /// <summary>Runs one open-loop point at <paramref name="rate"/> requests per second.</summary>
    /// <param name="rate">The offered rate over every connection (and agent).</param>
    /// <param name="progress">Told what the point is doing; may be null.</param>
    /// <param name="cancellationToken">Stops the point early.</param>
    /// <returns>The point's result, self-checks included.</returns>
    Task<LoadPointResult> RunOpenLoopAsync(double rate, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Measures the target's capacity with a saturating closed loop.</summary>
    /// <param name="duration">How long to measure.</param>
    /// <param name="depth">Requests in flight per connection.</param>
    /// <param name="progress">Told what the probe is doing; may be null.</param>
    /// <param name="cancellationToken">Stops early.</param>
    /// <returns>Expected responses per second.</returns>
    Task<double> MeasureCapacityAsync(TimeSpan duration, int depth = 16, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default);
}
