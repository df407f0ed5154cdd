namespace TailGuard.Samples.ReplicatedKeyValue;

/// <summary>
/// A replicated key-value store: every replica applies every <see cref="Put"/> in the same order, one replica answers
/// each call, and <see cref="Read"/> runs on one replica only (it is still ordered, so it sees every earlier write).
/// </summary>
[R2P2Service(Replicated = true)]
public interface IReplicatedKeyValue
{
    /// <summary>The value under <paramref name="key"/>, or -1 when there is none.</summary>
    [ReadOnly]
    long Read([R2P2MaxLength(64)] string key);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>; the number of keys stored.</summary>
    int Put([R2P2MaxLength(64)] string key, long value);
}
