using System;
using TailGuard;

namespace TailGuard.Tool.Commands.Cluster;

/// <summary>
/// The service every <c>tailguard cluster</c> node serves (docs/replication.md, "The tailguard cluster command"):
/// registers of 64-bit integers (read, write, compare-and-swap, increment: what linearizability checks and counters
/// need) and byte values (what throughput benchmarks put and get). Replicated: the generator emits the replicated
/// client and the replicas' apply dispatch.
/// </summary>
[R2P2Service(Replicated = true)]
public interface IClusterKeyValue
{
    /// <summary>The register's value (0 when never written).</summary>
    [ReadOnly]
    long Read([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key);

    /// <summary>Sets the register.</summary>
    void Write([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key, long value);

    /// <summary>Sets the register to <paramref name="value"/> when it holds <paramref name="expected"/>; whether it did.</summary>
    bool CompareAndSwap([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key, long expected, long value);

    /// <summary>Adds one to the register; the new value.</summary>
    long Increment([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key);

    /// <summary>Stores bytes under a key; how many bytes the store now holds under it.</summary>
    int Put([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key, [R2P2MaxLength(ClusterKeyValueStore.MaxValueBytes)] ReadOnlySpan<byte> value);

    /// <summary>Copies the bytes stored under a key into <paramref name="destination"/>: their length, or -1 when absent.</summary>
    [ReadOnly]
    int Fetch([R2P2MaxLength(ClusterKeyValueStore.MaxKeyBytes)] string key, [R2P2MaxLength(ClusterKeyValueStore.MaxValueBytes)] Span<byte> destination);
}
