namespace TailGuard.Samples.ConfidentialKeyValue;

/// <summary>The sizes both contracts are bounded by.</summary>
public static class Limits
{
    /// <summary>The longest key, in bytes.</summary>
    public const int MaxKeyBytes = 128;

    /// <summary>The longest value, in bytes.</summary>
    public const int MaxValueBytes = 1024;

    /// <summary>AES-GCM's nonce: 96 bits.</summary>
    public const int NonceBytes = 12;

    /// <summary>AES-GCM's tag: 128 bits.</summary>
    public const int TagBytes = 16;

    /// <summary>What sealing adds to a value.</summary>
    public const int SealOverhead = NonceBytes + TagBytes;

    /// <summary>The longest sealed value, in bytes.</summary>
    public const int MaxSealedBytes = MaxValueBytes + SealOverhead;
}
