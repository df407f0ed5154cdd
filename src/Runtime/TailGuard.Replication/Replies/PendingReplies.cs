using System.Collections.Generic;
using TailGuard.Replication.Payloads;

namespace TailGuard.Replication.Replies;

/// <summary>
/// Responses to writes waiting until a majority applied their entry (durable replies, docs/replication.md,
/// "Durability"). Entries are applied in order, so this is a FIFO by index. Thread-safe.
/// </summary>
internal sealed class PendingReplies
{
    private readonly object _sync = new();
    private readonly Queue<(long Index, RequestKey Key, byte[] Response)> _queue = new();

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _queue.Count;
            }
        }
    }

    public void Add(long index, RequestKey key, byte[] response)
    {
        lock (_sync)
        {
            _queue.Enqueue((index, key, response));
        }
    }

    /// <summary>Sends every response whose entry is at or below <paramref name="durableIndex"/>.</summary>
    public void Release(long durableIndex, ReplySender sender)
    {
        while (true)
        {
            (long Index, RequestKey Key, byte[] Response) next;
            lock (_sync)
            {
                if (_queue.Count == 0 || _queue.Peek().Index > durableIndex)
                {
                    return;
                }

                next = _queue.Dequeue();
            }

            sender.Send(next.Key, next.Response);
        }
    }

    /// <summary>Forgets every waiting response (the node stops; the clients time out and retry elsewhere).</summary>
    public void Clear()
    {
        lock (_sync)
        {
            _queue.Clear();
        }
    }
}
