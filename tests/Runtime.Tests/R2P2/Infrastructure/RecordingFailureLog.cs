using System;
using System.Collections.Concurrent;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>A failure log that keeps what it was told, in order; with <see cref="Throws"/> it then throws, as a broken sink would.</summary>
internal sealed class RecordingFailureLog : IR2P2FailureLog
{
    private readonly ConcurrentQueue<R2P2Failure> _failures = new();

    public bool Throws { get; init; }

    public R2P2Failure[] Failures => [.. _failures];

    public void Report(R2P2Failure failure, Exception exception)
    {
        _failures.Enqueue(failure);
        ObjectDisposedException.ThrowIf(Throws, this);
    }
}
