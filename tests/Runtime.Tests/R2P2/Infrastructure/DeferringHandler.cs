using System.Buffers;
using System.Collections.Concurrent;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Defers every request and answers none until <see cref="AnswerAll"/>: requests a test holds in flight on purpose.</summary>
internal sealed class DeferringHandler : IR2P2Handler
{
    private readonly ConcurrentQueue<R2P2ResponseHandle> _handles = new();
    private int _pending;

    /// <summary>Requests deferred so far.</summary>
    public int Pending => Volatile.Read(ref _pending);

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        _handles.Enqueue(request.Defer());
        Interlocked.Increment(ref _pending);
    }

    /// <summary>Answers every deferred request with "done".</summary>
    public void AnswerAll()
    {
        while (_handles.TryDequeue(out var handle))
        {
            handle.TrySend("done"u8);
        }
    }
}
