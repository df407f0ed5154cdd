using System;
using System.Numerics;
using System.Threading;

namespace TailGuard.R2P2.Simulation;

/// <summary>
/// The in-memory network's own storage for datagrams in flight: arrays in power-of-two size classes, reused. Owned by
/// one network (not the shared ArrayPool), so what other code in the process does cannot make a steady-state send allocate.
/// </summary>
internal sealed class DatagramStore
{
    private const int SmallestShift = 6; // 64 bytes
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly byte[][][] _idle;
    private readonly int[] _counts;

    public DatagramStore(int maxDatagramSize, int maxIdlePerClass)
    {
        var classes = ClassOf(maxDatagramSize) + 1;
        _idle = new byte[classes][][];
        _counts = new int[classes];
        for (var i = 0; i < classes; i++)
        {
            _idle[i] = new byte[maxIdlePerClass][];
        }
    }

    public byte[] Rent(int length)
    {
        var sizeClass = ClassOf(length);
        lock (_sync)
        {
            if (_counts[sizeClass] > 0)
            {
                var index = --_counts[sizeClass];
                var array = _idle[sizeClass][index];
                _idle[sizeClass][index] = null!;
                return array;
            }
        }

        return new byte[1 << (sizeClass + SmallestShift)];
    }

    public void Return(byte[] array)
    {
        var sizeClass = ClassOf(array.Length);
        lock (_sync)
        {
            if (_counts[sizeClass] < _idle[sizeClass].Length)
            {
                _idle[sizeClass][_counts[sizeClass]++] = array;
            }
        }
    }

    private static int ClassOf(int length)
        => Math.Max(0, BitOperations.Log2((uint)Math.Max(length, 1) - 1) + 1 - SmallestShift);
}
