using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>
/// <see cref="IAsyncLedger"/> whose later completions wait in a queue until <see cref="ReleaseOne"/> or
/// <see cref="ReleaseAll"/> runs them on the calling (test) thread: what an implementation waiting on a backend does.
/// </summary>
internal sealed class AsyncLedger : IAsyncLedger
{
    private readonly ConcurrentQueue<Action> _waiting = new();
    private long _balance;
    private int _touches;

    /// <summary>Later completions not released yet.</summary>
    public int Waiting => _waiting.Count;

    public int Touches => Volatile.Read(ref _touches);

    public ValueTask<long> AddAsync(long delta) => new(Interlocked.Add(ref _balance, delta));

    public ValueTask<int> EchoLaterAsync(int value) => Later(() => value);

    public ValueTask TouchAsync(bool later)
    {
        if (!later)
        {
            Interlocked.Increment(ref _touches);
            return ValueTask.CompletedTask;
        }

        return TouchLater();
    }

    // Apart, so the closure it captures is not allocated on the synchronous path too (a lambda's captured locals are
    // allocated on entry to their scope).
    private ValueTask TouchLater()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Enqueue(() =>
        {
            Interlocked.Increment(ref _touches);
            source.SetResult();
        });
        return new ValueTask(source.Task);
    }

    public ValueTask<int> FailAsync(bool later)
        => later ? Later<int>(() => throw new InvalidOperationException("failed later")) : throw new InvalidOperationException("failed now");

    public ValueTask<string> NameLaterAsync(int length) => Later(() => new string('n', length));

    /// <summary>Completes the oldest waiting call; false when none waits.</summary>
    public bool ReleaseOne()
    {
        if (!_waiting.TryDequeue(out Action? release))
        {
            return false;
        }

        release();
        return true;
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> calls wait, then completes them all.</summary>
    public void ReleaseAll(int count)
    {
        Assert.True(SpinWait.SpinUntil(() => Waiting >= count, TimeSpan.FromSeconds(30)), $"{count} calls never arrived");
        while (ReleaseOne())
        {
        }
    }

    private ValueTask<T> Later<T>(Func<T> produce)
    {
        var source = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Enqueue(() =>
        {
            try
            {
                source.SetResult(produce());
            }
            catch (Exception exception)
            {
                source.SetException(exception);
            }
        });
        return new ValueTask<T>(source.Task);
    }
}
