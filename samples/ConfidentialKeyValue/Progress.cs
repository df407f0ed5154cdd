using System;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// A one-line progress display. On a terminal it redraws a bar in place (carriage return); when the output is
/// redirected (a file, a pipe, CI) it appends a percentage every tenth instead, so the log holds one readable line.
/// </summary>
internal sealed class Progress : IAsyncDisposable
{
    private const int Width = 30;

    private readonly string _label;
    private readonly long _total;
    private readonly Func<long> _done;
    private readonly bool _redraw = !Console.IsOutputRedirected;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _printedTenths;

    public Progress(string label, long total, Func<long> done)
    {
        _label = label;
        _total = Math.Max(1, total);
        _done = done;
        Console.Write(label + " ");
        _loop = Task.Run(LoopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Show(final: true);
        Console.WriteLine();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Show(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the final state is drawn by DisposeAsync.
        }
    }

    private void Show(bool final)
    {
        long done = final ? _total : Math.Min(_done(), _total);
        if (_redraw)
        {
            int filled = (int)(done * Width / _total);
            Console.Write($"\r{_label} [{new string('#', filled)}{new string('.', Width - filled)}] {done * 100 / _total,3}% ");
            return;
        }

        int tenths = (int)(done * 10 / _total);
        while (_printedTenths < tenths)
        {
            _printedTenths++;
            Console.Write($"{_printedTenths * 10}% ");
        }
    }
}
