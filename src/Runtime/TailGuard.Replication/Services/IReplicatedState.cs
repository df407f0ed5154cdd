using System.Buffers;

namespace TailGuard.Replication;

/// <summary>
/// The state of a replicated service as a snapshot: what lets the log be truncated and a new or restarted replica catch
/// up without replaying every request since the beginning. Both methods are called between two applies, never
/// concurrently with <see cref="IReplicatedService.Apply"/>.
/// </summary>
public interface IReplicatedState
{
    /// <summary>Writes the whole state. Two replicas with the same state must write the same bytes.</summary>
    /// <param name="output">Where the snapshot goes.</param>
    void WriteSnapshot(IBufferWriter<byte> output);

    /// <summary>Replaces the whole state with the one <see cref="WriteSnapshot"/> wrote.</summary>
    /// <param name="snapshot">The bytes of a snapshot.</param>
    void ReadSnapshot(ReadOnlySequence<byte> snapshot);
}
