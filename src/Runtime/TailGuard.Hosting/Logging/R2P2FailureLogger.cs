using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// The core's failure log (<see cref="IR2P2FailureLog"/>) of one hosted server or client, written to its
/// <see cref="ILogger"/>. A remote client can make a handler throw on every request, so each kind of failure is
/// rate-limited: at most <c>limit</c> are logged (with their exception) per <c>interval</c>; the rest are counted and
/// reported as one warning when the interval has passed (<see cref="Flush"/>, called by the owner's timer and at its
/// close). Failures are exceptional paths, so a lock is fine here; the requests that do not fail never come here.
/// </summary>
internal sealed class R2P2FailureLogger : IR2P2FailureLog
{
    private static readonly R2P2Failure[] Kinds = Enum.GetValues<R2P2Failure>();

    private readonly ILogger _logger;
    private readonly string _name;
    private readonly bool _server;
    private readonly int _limit;
    private readonly long _interval;
    private readonly Lock _gate = new();
    private readonly Window[] _windows = new Window[Kinds.Length];

    public R2P2FailureLogger(ILogger logger, string name, bool server, int limit, TimeSpan interval)
    {
        _logger = logger;
        _name = name;
        _server = server;
        _limit = limit;
        _interval = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < _windows.Length; i++)
        {
            _windows[i].Start = now;
        }
    }

    public void Report(R2P2Failure failure, Exception exception)
    {
        var kind = (int)failure;
        if ((uint)kind >= (uint)_windows.Length)
        {
            return;
        }

        long suppressed;
        double seconds;
        bool log;
        lock (_gate)
        {
            (suppressed, seconds) = Roll(ref _windows[kind], Stopwatch.GetTimestamp(), force: false);
            log = _windows[kind].Logged < _limit;
            if (log)
            {
                _windows[kind].Logged++;
            }
            else
            {
                _windows[kind].Suppressed++;
            }
        }

        WriteSuppressed(failure, suppressed, seconds);
        if (log)
        {
            Write(failure, exception);
        }
    }

    /// <summary>Reports the failures left unlogged in every interval that has passed (or in the current one too, with <paramref name="all"/>).</summary>
    public void Flush(bool all = false)
    {
        List<(R2P2Failure Failure, long Suppressed, double Seconds)>? due = null;
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            for (var kind = 0; kind < _windows.Length; kind++)
            {
                var (suppressed, seconds) = Roll(ref _windows[kind], now, all);
                if (suppressed > 0)
                {
                    (due ??= []).Add((Kinds[kind], suppressed, seconds));
                }
            }
        }

        if (due is not null)
        {
            foreach (var (failure, suppressed, seconds) in due)
            {
                WriteSuppressed(failure, suppressed, seconds);
            }
        }
    }

    // Starts a new interval once the current one has passed (or when forced); returns what the ended one left unlogged.
    private (long Suppressed, double Seconds) Roll(ref Window window, long now, bool force)
    {
        var elapsed = now - window.Start;
        if (elapsed < _interval && !force)
        {
            return (0, 0);
        }

        var suppressed = window.Suppressed;
        window = new Window { Start = now };
        return (suppressed, elapsed / (double)Stopwatch.Frequency);
    }

    private void Write(R2P2Failure failure, Exception exception)
    {
        switch ((_server, failure))
        {
            case (true, R2P2Failure.Handler):
                Log.HandlerFailed(_logger, _name, exception);
                break;
            case (true, R2P2Failure.ReceiveLoop):
                Log.ServerReceiveLoopFault(_logger, _name, exception);
                break;
            case (true, _):
                Log.ServerCallbackFailed(_logger, _name, failure, exception);
                break;
            case (false, R2P2Failure.ReceiveLoop):
                Log.ClientReceiveLoopFault(_logger, _name, exception);
                break;
            default:
                Log.ClientCallbackFailed(_logger, _name, failure, exception);
                break;
        }
    }

    private void WriteSuppressed(R2P2Failure failure, long suppressed, double seconds)
    {
        if (suppressed == 0)
        {
            return;
        }

        if (_server)
        {
            Log.ServerFailuresSuppressed(_logger, _name, suppressed, failure, seconds, _limit);
        }
        else
        {
            Log.ClientFailuresSuppressed(_logger, _name, suppressed, failure, seconds, _limit);
        }
    }

    private struct Window
    {
        public long Start;
        public int Logged;
        public long Suppressed;
    }
}
