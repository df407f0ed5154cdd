namespace TailGuard.Tyche.Attestation;

/// <summary>
/// The markers of the engine's serialized capability graph, what SERIALIZE_ATTESTATION writes (tyche-devel
/// crates/capability-engine/src/serializer.rs, module <c>serde</c>). Little-endian throughout:
/// <c>"capa"</c>; <c>0x01</c> then every region tree in pre-order (kind; u32 parent index unless a root; u8 rights;
/// u64 start; u64 end; <c>0x85</c> u64 length and the hash bytes, or <c>0x84</c>) then <c>0xFF</c>; <c>0x02</c> then per
/// domain u64 index, u64 monitor-interface bitmap, <c>0x40</c>, per Region capability <c>0x20</c> u64 region index, per
/// Management capability <c>0x21</c> u64 domain index, <c>0x41</c>; then <c>0xFF</c>; then a final <c>0xFF</c>.
/// </summary>
internal static class CapabilityGraphFormat
{
    public static readonly byte[] Magic = "capa"u8.ToArray();

    public const byte RegionHeader = 0b0000_0001;
    public const byte DomainHeader = 0b0000_0010;
    public const byte EndMarker = 0b1111_1111;

    public const byte RegionRoot = 0b1000_0000;
    public const byte RegionAlias = 0b1000_0001;
    public const byte RegionCarve = 0b1000_0010;
    public const byte RegionDevice = 0b1000_0011;
    public const byte RegionNoHash = 0b1000_0100;
    public const byte RegionHasHash = 0b1000_0101;

    public const byte DomainCapabilitiesStart = 0b0100_0000;
    public const byte DomainCapabilitiesEnd = 0b0100_0001;
    public const byte CapabilityRegion = 0b0010_0000;
    public const byte CapabilityDomain = 0b0010_0001;

    /// <summary>The engine's region pool size: no graph holds more.</summary>
    public const int MaxRegions = 1024;

    /// <summary>The engine's domain pool size.</summary>
    public const int MaxDomains = 32;

    /// <summary>The engine's capability table size.</summary>
    public const int MaxCapabilitiesPerDomain = 128;

    /// <summary>The longest region hash a verifier accepts (the engine's own client accepts up to 64 bytes).</summary>
    public const int MaxHashLength = 64;
}
