using System;
using TailGuard;

namespace TailGuard.Samples.KeyValue;

/// <summary>
/// The service contract. The generator turns it into <c>KeyValueClient</c> and <c>KeyValueDispatcher</c>: keys and
/// values travel as bytes, the server reads them as views into the receive buffer and writes values straight into the
/// send buffer.
/// </summary>
[R2P2Service]
internal interface IKeyValue
{
    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>; false when the key or value is too long.</summary>
    bool Put([R2P2MaxLength(KeyValueStore.MaxKeyBytes)] ReadOnlySpan<byte> key, [R2P2MaxLength(KeyValueStore.MaxValueBytes)] ReadOnlySpan<byte> value);

    /// <summary>Writes the value of <paramref name="key"/> into <paramref name="destination"/>: its length, -1 when absent, -length when it does not fit.</summary>
    int Get([R2P2MaxLength(KeyValueStore.MaxKeyBytes)] ReadOnlySpan<byte> key, [R2P2MaxLength(KeyValueStore.MaxValueBytes)] Span<byte> destination);

    /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
    bool Delete([R2P2MaxLength(KeyValueStore.MaxKeyBytes)] ReadOnlySpan<byte> key);

    /// <summary>How many keys are stored.</summary>
    int Count();
}
