using System;

namespace TailGuard.R2P2.Protocol;

/// <summary>
/// Deadlines of up to <see cref="Capacity"/> things identified by small integer ids (call slots, pending responses,
/// reassemblies): a binary min-heap with each id's position, so adding, removing any id and taking the earliest are
/// O(log n) whatever the deadlines, and nothing allocates after construction. Deadlines are <see cref="System.Diagnostics.Stopwatch"/>
/// timestamps (any monotonic long works). Not thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a priority queue of deadlines; the name says so.")]
public sealed class DeadlineQueue
{
    private readonly int[] _heap;
    private readonly long[] _deadlines;
    private readonly int[] _positions; // id -> index in _heap, -1 when not queued

    /// <summary>Creates a queue for ids 0 to <paramref name="capacity"/> - 1.</summary>
    /// <param name="capacity">How many ids.</param>
    public DeadlineQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _heap = new int[capacity];
        _deadlines = new long[capacity];
        _positions = new int[capacity];
        Array.Fill(_positions, -1);
    }

    /// <summary>How many ids the queue can hold (ids are 0 to Capacity - 1).</summary>
    public int Capacity => _heap.Length;

    /// <summary>How many ids are queued.</summary>
    public int Count { get; private set; }

    /// <summary>The earliest deadline, or <see cref="long.MaxValue"/> when the queue is empty.</summary>
    public long EarliestDeadline => Count == 0 ? long.MaxValue : _deadlines[_heap[0]];

    /// <summary>Whether <paramref name="id"/> is queued.</summary>
    /// <param name="id">The id.</param>
    /// <returns>Whether it has a deadline.</returns>
    public bool Contains(int id) => (uint)id < (uint)_positions.Length && _positions[id] >= 0;

    /// <summary>The deadline of a queued id.</summary>
    /// <param name="id">The id.</param>
    /// <returns>Its deadline.</returns>
    /// <exception cref="InvalidOperationException">The id is not queued.</exception>
    public long DeadlineOf(int id) => Contains(id) ? _deadlines[id] : throw new InvalidOperationException($"Id {id} has no deadline.");

    /// <summary>Gives <paramref name="id"/> a deadline.</summary>
    /// <param name="id">The id, from 0 to <see cref="Capacity"/> - 1, not queued already.</param>
    /// <param name="deadline">When it is due.</param>
    /// <exception cref="ArgumentOutOfRangeException">The id is out of range.</exception>
    /// <exception cref="InvalidOperationException">The id is queued already.</exception>
    public void Add(int id, long deadline)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, Capacity);
        if (_positions[id] >= 0)
        {
            throw new InvalidOperationException($"Id {id} already has a deadline.");
        }

        _deadlines[id] = deadline;
        var index = Count++;
        _heap[index] = id;
        _positions[id] = index;
        SiftUp(index);
    }

    /// <summary>Removes an id's deadline.</summary>
    /// <param name="id">The id.</param>
    /// <returns>Whether it was queued.</returns>
    public bool Remove(int id)
    {
        if (!Contains(id))
        {
            return false;
        }

        RemoveAt(_positions[id]);
        return true;
    }

    /// <summary>Takes the earliest id if it is due at <paramref name="now"/> (its deadline is at or before it).</summary>
    /// <param name="now">The current time.</param>
    /// <param name="id">The due id.</param>
    /// <returns>Whether an id was due.</returns>
    public bool TryTakeDue(long now, out int id)
    {
        if (Count == 0 || _deadlines[_heap[0]] > now)
        {
            id = -1;
            return false;
        }

        id = _heap[0];
        RemoveAt(0);
        return true;
    }

    private void RemoveAt(int index)
    {
        var removed = _heap[index];
        _positions[removed] = -1;
        var last = --Count;
        if (index == last)
        {
            return;
        }

        var moved = _heap[last];
        _heap[index] = moved;
        _positions[moved] = index;
        if (index > 0 && _deadlines[moved] < _deadlines[_heap[(index - 1) / 2]])
        {
            SiftUp(index);
        }
        else
        {
            SiftDown(index);
        }
    }

    private void SiftUp(int index)
    {
        var id = _heap[index];
        var deadline = _deadlines[id];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            var parentId = _heap[parent];
            if (_deadlines[parentId] <= deadline)
            {
                break;
            }

            _heap[index] = parentId;
            _positions[parentId] = index;
            index = parent;
        }

        _heap[index] = id;
        _positions[id] = index;
    }

    private void SiftDown(int index)
    {
        var id = _heap[index];
        var deadline = _deadlines[id];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && _deadlines[_heap[child + 1]] < _deadlines[_heap[child]])
            {
                child++;
            }

            var childId = _heap[child];
            if (_deadlines[childId] >= deadline)
            {
                break;
            }

            _heap[index] = childId;
            _positions[childId] = index;
            index = child;
        }

        _heap[index] = id;
        _positions[id] = index;
    }
}
