using System;

namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>
/// The network contract. The generator turns it into <c>ConfidentialStoreClient</c> and
/// <c>ConfidentialStoreDispatcher</c>; values travel in the clear on loopback (R2P2 has no transport encryption) and
/// rest sealed by the trust domain.
/// </summary>
[R2P2Service]
internal interface IConfidentialStore
{
    /// <summary>Seals <paramref name="value"/> and stores it under <paramref name="key"/>; false when it cannot be stored.</summary>
    bool Put([R2P2MaxLength(Limits.MaxKeyBytes)] ReadOnlySpan<byte> key, [R2P2MaxLength(Limits.MaxValueBytes)] ReadOnlySpan<byte> value);

    /// <summary>Opens the value of <paramref name="key"/> into <paramref name="destination"/>: its length, -1 when absent or when it fails authentication.</summary>
    int Get([R2P2MaxLength(Limits.MaxKeyBytes)] ReadOnlySpan<byte> key, [R2P2MaxLength(Limits.MaxValueBytes)] Span<byte> destination);

    /// <summary>How many keys are stored.</summary>
    int Count();
}
