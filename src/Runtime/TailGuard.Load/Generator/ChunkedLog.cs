using System;
using System.Threading;

namespace TailGuard.Load.Generator;

/// <summary>
/// An append-only log of values in fixed chunks, so that growing never copies and a slot once reserved stays where it
/// is: one thread appends (the sending thread), any thread may then write a reserved slot (a completion), and a
/// reader sees every slot below <see cref="Count"/>. Bounded by a capacity so a long run cannot grow without limit.
/// A chunk is half a megabyte: allocating and filling one takes the appending thread long enough to make sends late, so
/// another thread allocates ahead (<see cref="Prepare"/>: the first two chunks on creation, then one chunk ahead of the
/// appender) and the appender allocates only when that thread fell behind.
/// </summary>
internal sealed class ChunkedLog<T>
    where T : struct
{
    private const int ChunkShift = 16;
    private const int ChunkSize = 1 << ChunkShift;

    private readonly T[]?[] _chunks;
    private readonly T _empty;
    private int _count;

    public ChunkedLog(int capacity, T empty)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _chunks = new T[]?[(capacity + ChunkSize - 1) >> ChunkShift];
        Capacity = _chunks.Length * ChunkSize;
        _empty = empty;
        Prepare();
    }

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Reserves the next slot (filled with the empty value); -1 when the log is full.</summary>
    public int Append()
    {
        var index = _count;
        if (index >= Capacity)
        {
            return -1;
        }

        var chunk = index >> ChunkShift;
        if (Volatile.Read(ref _chunks[chunk]) is null)
        {
            Allocate(chunk);
        }

        Volatile.Write(ref _count, index + 1);
        return index;
    }

    /// <summary>
    /// Allocates the chunk the appender is in and the one after it, if they are missing, so it never has to (any
    /// thread; the generator's controller calls it a few times a second).
    /// </summary>
    public void Prepare()
    {
        var chunk = Count >> ChunkShift;
        for (var next = chunk; next <= chunk + 1 && next < _chunks.Length; next++)
        {
            if (Volatile.Read(ref _chunks[next]) is null)
            {
                Allocate(next);
            }
        }
    }

    /// <summary>The first writer wins; a racing allocation is dropped, so a reserved slot's chunk never changes.</summary>
    private void Allocate(int chunk)
    {
        var fresh = new T[ChunkSize];
        fresh.AsSpan().Fill(_empty);
        Interlocked.CompareExchange(ref _chunks[chunk], fresh, null);
    }

    public void Append(T value)
    {
        var index = Append();
        if (index >= 0)
        {
            this[index] = value;
        }
    }

    /// <summary>A reserved slot by reference, for a volatile write from a completing thread.</summary>
    public ref T Slot(int index) => ref _chunks[index >> ChunkShift]![index & (ChunkSize - 1)];

    public T this[int index]
    {
        get => _chunks[index >> ChunkShift]![index & (ChunkSize - 1)];
        set => _chunks[index >> ChunkShift]![index & (ChunkSize - 1)] = value;
    }

    /// <summary>Copies slots [0, count) out.</summary>
    public T[] ToArray(int count)
    {
        var result = new T[count];
        for (var start = 0; start < count; start += ChunkSize)
        {
            var length = Math.Min(ChunkSize, count - start);
            _chunks[start >> ChunkShift].AsSpan(0, length).CopyTo(result.AsSpan(start));
        }

        return result;
    }
}
