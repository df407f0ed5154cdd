using System;
using System.Threading;

namespace TailGuard.Load.Generator;

/// <summary>
/// An append-only log of values in fixed chunks, so that growing never copies and a slot once reserved stays where it
/// is: one thread appends (the sending thread), any thread may then write a reserved slot (a completion), and a
/// reader sees every slot below <see cref="Count"/>. Bounded by a capacity so a long run cannot grow without limit.
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
        if (_chunks[chunk] is null)
        {
            var fresh = new T[ChunkSize];
            fresh.AsSpan().Fill(_empty);
            Volatile.Write(ref _chunks[chunk], fresh);
        }

        Volatile.Write(ref _count, index + 1);
        return index;
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
