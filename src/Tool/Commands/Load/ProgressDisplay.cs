using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Spectre.Console;
using TailGuard.Load;

namespace TailGuard.Tool.Commands.Load;

/// <summary>
/// What a running load looks like: on a terminal, a live status line (Spectre.Console) above which each finished
/// point is printed; when output is redirected, plain lines only (a phase change, then every few seconds).
/// </summary>
internal sealed class ProgressDisplay : IProgress<LoadProgress>
{
    private static readonly long s_plainEvery = Stopwatch.Frequency * 5;

    private readonly TextWriter _output;
    private readonly bool _live;
    private readonly object _sync = new();
    private StatusContext? _status;
    private string _phase = string.Empty;
    private long _lastPlain;

    private ProgressDisplay(TextWriter output, bool live)
    {
        _output = output;
        _live = live;
    }

    /// <summary>Live on a terminal (standard output not redirected), plain otherwise.</summary>
    public static ProgressDisplay For(TextWriter output)
        => new(output, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    /// <summary>Runs <paramref name="work"/> with the live status line shown (or plainly).</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        if (!_live)
        {
            return await work().ConfigureAwait(false);
        }

        return await AnsiConsole.Status().Spinner(Spinner.Known.Dots).StartAsync("starting", async context =>
        {
            lock (_sync)
            {
                _status = context;
            }

            try
            {
                return await work().ConfigureAwait(false);
            }
            finally
            {
                lock (_sync)
                {
                    _status = null;
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Prints a line (a finished point, a header) above the status line.</summary>
    public void WriteLine(string line)
    {
        lock (_sync)
        {
            if (_live)
            {
                AnsiConsole.Console.WriteLine(line);
            }
            else
            {
                _output.WriteLine(line);
            }
        }
    }

    public void Report(LoadProgress value)
    {
        var rate = value.TargetRate > 0 ? $"{LoadReport.ShortRate(value.TargetRate)} requests/s" : "closed loop";
        var text = string.Create(CultureInfo.InvariantCulture, $"{value.Target} {rate}: {value.Phase} {value.Elapsed.TotalSeconds:0.0} s, sent {value.Sent}, ok {value.Ok}, errors {value.Errors}");
        if (value.Precision is { } estimate && estimate.IsBounded)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {estimate.Name} interval {estimate.WidthMicroseconds:0.#} us");
        }

        lock (_sync)
        {
            if (_live)
            {
                _status?.Status(Markup.Escape(text));
                return;
            }

            var now = Stopwatch.GetTimestamp();
            var phase = value.Target + rate + value.Phase;
            if (phase != _phase || now - _lastPlain >= s_plainEvery)
            {
                _phase = phase;
                _lastPlain = now;
                _output.WriteLine(text);
            }
        }
    }
}
