using System.Collections.Generic;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// The forwarded requests awaiting their FEEDBACK, keyed as FEEDBACK names them (<see cref="FeedbackKey"/>), with
/// the server each went to and when. A fixed pool of entries on one list in send order (so the oldest is the head and
/// expiry is O(1) per entry) and a preallocated index from key to entry: adding, finding and removing allocate
/// nothing. Single-threaded (the router's lock).
/// </summary>
internal sealed class OutstandingRequests
{
    private const int None = -1;
    private readonly int[] _next;
    private readonly int[] _previous;
    private readonly int[] _server;
    private readonly long[] _sentAt;
    private readonly FeedbackKey[] _key;
    private readonly int[] _free;
    private readonly Dictionary<FeedbackKey, int> _index;
    private int _freeCount;
    private int _head = None;
    private int _tail = None;

    public OutstandingRequests(int capacity)
    {
        _next = new int[capacity];
        _previous = new int[capacity];
        _server = new int[capacity];
        _sentAt = new long[capacity];
        _key = new FeedbackKey[capacity];
        _free = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _free[i] = capacity - 1 - i;
        }

        _freeCount = capacity;
        _index = new Dictionary<FeedbackKey, int>(capacity);
    }

    public int Count => _next.Length - _freeCount;

    public bool IsFull => _freeCount == 0;

    /// <summary>The entry sent longest ago, or -1.</summary>
    public int Oldest => _head;

    public bool TryFind(FeedbackKey key, out int entry) => _index.TryGetValue(key, out entry);

    public int ServerOf(int entry) => _server[entry];

    public long SentAt(int entry) => _sentAt[entry];

    /// <summary>The entry sent after <paramref name="entry"/>, or -1.</summary>
    public int Next(int entry) => _next[entry];

    /// <summary>Tracks a request (the caller checked <see cref="IsFull"/> and that the key is not tracked).</summary>
    public void Add(FeedbackKey key, int server, long sentAt)
    {
        var entry = _free[--_freeCount];
        _key[entry] = key;
        _server[entry] = server;
        _sentAt[entry] = sentAt;
        _next[entry] = None;
        _previous[entry] = _tail;
        if (_tail == None)
        {
            _head = entry;
        }
        else
        {
            _next[_tail] = entry;
        }

        _tail = entry;
        _index.Add(key, entry);
    }

    public void Remove(int entry)
    {
        var previous = _previous[entry];
        var next = _next[entry];
        if (previous == None)
        {
            _head = next;
        }
        else
        {
            _next[previous] = next;
        }

        if (next == None)
        {
            _tail = previous;
        }
        else
        {
            _previous[next] = previous;
        }

        _index.Remove(_key[entry]);
        _free[_freeCount++] = entry;
    }
}
