using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Generator;

namespace TailGuard.Load;

/// <summary>
/// Lancet's method on one machine: connections to a target spread over sending threads, an open-loop schedule
/// (each send at the previous scheduled time plus a random gap; latency from the scheduled time; never waiting for
/// replies; requests in flight bounded, and the bound hitting reported), and self-checks on every point. Create one
/// with <see cref="ConnectAsync"/>, run points, dispose.
/// </summary>
public sealed class LoadGenerator : ILoadPointRunner, IAsyncDisposable
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);

    private readonly LoadTarget _target;
    private readonly LoadGeneratorOptions _options;
    private readonly SenderThread[] _threads;
    private readonly ConnectionRunner[] _connections;
    private readonly object _runLock = new();
    private bool _running;
    private int _disposed;

    private LoadGenerator(LoadTarget target, LoadGeneratorOptions options, ConnectionRunner[] connections)
    {
        _target = target;
        _options = options;
        _connections = connections;
        _threads = new SenderThread[options.SendingThreads];
        for (var t = 0; t < _threads.Length; t++)
        {
            var owned = connections.Where((_, i) => i % _threads.Length == t).ToArray();
            _threads[t] = new SenderThread(t, owned);
        }

        ReceiveTimestamps = connections
            .Where(c => c.MeasuresLatency)
            .Select(c => c.Connection.ReceiveTimestamps)
            .Aggregate((a, b) => a == b ? a : TimestampSource.MonotonicClock);
    }

    /// <summary>The target's name.</summary>
    public string TargetName => _target.Name;

    /// <summary>Where the latency-measuring connections' receive timestamps come from.</summary>
    public TimestampSource ReceiveTimestamps { get; }

    /// <summary>The settings in force.</summary>
    public LoadGeneratorOptions Options => _options;

    /// <summary>Validates the options and opens every connection to the target.</summary>
    /// <param name="target">What to load.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The generator, ready to run points.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static async Task<LoadGenerator> ConnectAsync(LoadTarget target, LoadGeneratorOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new LoadGeneratorOptions();
        options.Validate();
        var perConnection = options.MaxInFlight / options.Connections;
        var connections = new List<ConnectionRunner>();
        try
        {
            for (var i = 0; i < options.Connections; i++)
            {
                var measures = MeasuresLatency(i, options);
                var settings = new LoadConnectionSettings { Index = i, MeasuresLatency = measures, Timeout = options.Timeout, MaxInFlight = perConnection };
                var connection = await target.ConnectAsync(settings, cancellationToken).ConfigureAwait(false);
                connections.Add(new ConnectionRunner(connection, measures, perConnection));
            }
        }
        catch
        {
            foreach (var opened in connections)
            {
                await opened.Connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new LoadGenerator(target, options, connections.ToArray());
    }

    /// <summary>
    /// Runs one open-loop point: warm-up, then measuring for the duration (or until the precision target is met or
    /// its time limit passes), then waiting for the requests in flight, then the self-checks.
    /// </summary>
    /// <param name="rate">The offered rate, requests per second over all connections.</param>
    /// <param name="progress">Told what the point is doing a few times a second; may be null.</param>
    /// <param name="cancellationToken">Stops the point early (it then throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>The point's result.</returns>
    public Task<LoadPointResult> RunOpenLoopAsync(double rate, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!(rate > 0 && double.IsFinite(rate)))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be a positive number of requests per second.");
        }

        return RunAsync(LoadMode.OpenLoop, rate, depth: 0, _options.Duration, progress, cancellationToken);
    }

    /// <summary>
    /// Runs one closed-loop point: <paramref name="depth"/> requests in flight per connection, each completion sending
    /// the next, latency from the actual send. For comparison only: a closed loop hides queueing behind its own waits.
    /// </summary>
    /// <param name="depth">Requests in flight per connection.</param>
    /// <param name="duration">How long to measure; null uses the options' duration.</param>
    /// <param name="progress">Told what the point is doing; may be null.</param>
    /// <param name="cancellationToken">Stops the point early.</param>
    /// <returns>The point's result.</returns>
    public Task<LoadPointResult> RunClosedLoopAsync(int depth, TimeSpan? duration = null, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        if (depth > _options.MaxInFlight / _options.Connections)
        {
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "The depth exceeds the per-connection in-flight limit.");
        }

        return RunAsync(LoadMode.ClosedLoop, 0, depth, duration ?? _options.Duration, progress, cancellationToken);
    }

    /// <summary>
    /// Measures the target's capacity: a closed loop that keeps <paramref name="depth"/> requests in flight on every
    /// connection for <paramref name="duration"/>; the capacity is the rate of expected responses.
    /// </summary>
    /// <param name="duration">How long to measure.</param>
    /// <param name="depth">Requests in flight per connection.</param>
    /// <param name="progress">Told what the probe is doing; may be null.</param>
    /// <param name="cancellationToken">Stops early.</param>
    /// <returns>Expected responses per second.</returns>
    public async Task<double> MeasureCapacityAsync(TimeSpan duration, int depth = 16, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var result = await RunClosedLoopAsync(Math.Min(depth, _options.MaxInFlight / _options.Connections), duration, progress, cancellationToken).ConfigureAwait(false);
        return result.Throughput;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var connection in _connections)
        {
            await connection.Connection.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var thread in _threads)
        {
            thread.Dispose();
        }
    }

    /// <summary>Connections 0, T, 2T... are spread over the threads first, so the measuring subset spans every sending thread.</summary>
    private static bool MeasuresLatency(int index, LoadGeneratorOptions options) => index < options.LatencyConnections;

    private async Task<LoadPointResult> RunAsync(LoadMode mode, double rate, int depth, TimeSpan duration, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_runLock)
        {
            if (_running)
            {
                throw new InvalidOperationException("A load generator runs one point at a time.");
            }

            _running = true;
        }

        try
        {
            return await RunPointAsync(mode, rate, depth, duration, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_runLock)
            {
                _running = false;
            }
        }
    }

    private async Task<LoadPointResult> RunPointAsync(LoadMode mode, double rate, int depth, TimeSpan duration, IProgress<LoadProgress>? progress, CancellationToken cancellationToken)
    {
        var frequency = Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp() + frequency / 1000; // 1 ms for the threads to start
        var windowStart = start + Ticks(_options.WarmUp);
        var recorder = new PointRecorder(mode, rate, windowStart, _threads.Length, _options.SampleCapacity);
        var seed = _options.Seed ?? Environment.TickCount;
        var collections = Collections();
        var paused = GC.GetTotalPauseDuration();
        var faults = Faults();
        for (var t = 0; t < _threads.Length; t++)
        {
            if (mode == LoadMode.OpenLoop)
            {
                var share = rate * _threads[t].Connections.Length / _connections.Length;
                _threads[t].StartOpenLoop(recorder, share, start, unchecked(seed * 31 + t), _options);
            }
            else
            {
                _threads[t].StartClosedLoop(recorder, depth);
            }
        }

        var precision = mode == LoadMode.OpenLoop ? _options.Precision : null;
        var verdict = PrecisionVerdict.NotRequested;
        var nextEvaluation = windowStart + Ticks(duration);
        try
        {
            while (true)
            {
                await Task.Delay(s_pollInterval, cancellationToken).ConfigureAwait(false);
                recorder.PrepareLogs();
                foreach (var connection in _connections)
                {
                    connection.Prepare();
                }

                var now = Stopwatch.GetTimestamp();
                if (now < windowStart)
                {
                    Report(progress, "warm-up", now - start, rate, recorder, null);
                    continue;
                }

                var elapsed = now - windowStart;
                PercentileEstimate? estimate = null;
                if (elapsed >= Ticks(duration))
                {
                    if (precision is null)
                    {
                        break;
                    }

                    if (now >= nextEvaluation)
                    {
                        estimate = PointEvaluator.EstimateSoFar(recorder, precision.Percentile, _options.Checks);
                        if (precision.IsMetBy(estimate.Value))
                        {
                            verdict = new PrecisionVerdict(new CheckResult(CheckNames.Precision, CheckStatus.Passed, Invariant($"{precision}: reached {estimate.Value.WidthMicroseconds:0.#} us after {Seconds(elapsed):0.#} s")));
                            break;
                        }

                        if (elapsed >= Ticks(precision.TimeLimit))
                        {
                            verdict = new PrecisionVerdict(new CheckResult(CheckNames.Precision, CheckStatus.Failed, Invariant($"{precision}: time limit {precision.TimeLimit.TotalSeconds:0.#} s reached with width {Width(estimate.Value)}")));
                            break;
                        }

                        // Evaluate again after another fifth of the time measured so far (at least half a second): sorting is not free.
                        nextEvaluation = now + Math.Max(frequency / 2, elapsed / 5);
                    }
                }

                Report(progress, "measuring", elapsed, rate, recorder, estimate);
            }
        }
        finally
        {
            recorder.StopAt = Math.Max(Stopwatch.GetTimestamp(), windowStart);
            foreach (var thread in _threads)
            {
                await Task.Run(thread.Join, CancellationToken.None).ConfigureAwait(false);
            }

            recorder.GarbageCollections = Collections() - collections;
            recorder.GarbageCollectionPause = GC.GetTotalPauseDuration() - paused;
        }

        await DrainAsync(recorder, rate, progress).ConfigureAwait(false);
        recorder.Faults = Faults() - faults;
        return PointEvaluator.Evaluate(_target.Name, recorder, _options, ReceiveTimestamps, verdict);
    }

    /// <summary>Waits for the requests in flight (each ends by its timeout at the latest).</summary>
    private async Task DrainAsync(PointRecorder recorder, double rate, IProgress<LoadProgress>? progress)
    {
        var began = Stopwatch.GetTimestamp();
        var deadline = began + Ticks(_options.Timeout + TimeSpan.FromSeconds(2));
        while (_connections.Any(c => c.InFlight > 0) && Stopwatch.GetTimestamp() < deadline)
        {
            Report(progress, "draining", Stopwatch.GetTimestamp() - began, rate, recorder, null);
            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    private void Report(IProgress<LoadProgress>? progress, string phase, long elapsedTicks, double rate, PointRecorder recorder, PercentileEstimate? estimate)
    {
        if (progress is null)
        {
            return;
        }

        long sent = 0;
        foreach (var thread in recorder.Threads)
        {
            sent += Volatile.Read(ref thread.Sent);
        }

        var errors = recorder.Timeouts + recorder.Drops + recorder.WrongResponses + recorder.Failures;
        progress.Report(new LoadProgress(_target.Name, phase, TimeSpan.FromSeconds(Seconds(elapsedTicks)), rate, sent, recorder.Ok, errors, estimate));
    }

    private long Faults()
    {
        long faults = 0;
        foreach (var connection in _connections)
        {
            faults += connection.Connection.Faults;
        }

        return faults;
    }

    /// <summary>Collections of every generation so far (a gen 2 collection counts once, not in gen 0 and 1 as well).</summary>
    private static int Collections() => GC.CollectionCount(0);

    private static long Ticks(TimeSpan time) => (long)(time.TotalSeconds * Stopwatch.Frequency);

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private static string Width(PercentileEstimate estimate)
        => estimate.IsBounded ? Invariant($"{estimate.WidthMicroseconds:0.#} us") : "unbounded (too few samples above the percentile)";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
