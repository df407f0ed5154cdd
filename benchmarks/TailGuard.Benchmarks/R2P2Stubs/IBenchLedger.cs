using System;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using TailGuard;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>The same addition served three ways (see <see cref="AsyncDispatchBenchmarks"/>).</summary>
[R2P2Service]
internal interface IBenchLedger
{
    long Add(long delta);

    ValueTask<long> AddCompletedAsync(long delta);

    ValueTask<long> AddPendingAsync(long delta);
}

/// <summary>
/// <see cref="AddPendingAsync"/> returns a task that is pending when the dispatcher looks at it and completes the moment
/// the dispatcher registers its continuation (on the same thread), through one reusable value-task source: the
/// implementation allocates nothing and waits for nothing, so what remains is the dispatcher's deferral itself (as
/// R2P2CallBenchmarks' "deferred" answer isolates the server's).
/// </summary>
internal sealed class BenchLedger : IBenchLedger, IValueTaskSource<long>
{
    private ManualResetValueTaskSourceCore<long> _core;
    private long _balance;

    public long Add(long delta) => _balance += delta;

    public ValueTask<long> AddCompletedAsync(long delta) => new(_balance += delta);

    public ValueTask<long> AddPendingAsync(long delta)
    {
        _core.Reset();
        _balance += delta;
        return new ValueTask<long>(this, _core.Version);
    }

    public long GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        _core.OnCompleted(continuation, state, token, flags);
        _core.SetResult(_balance);
    }
}
