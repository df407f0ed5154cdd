namespace TailGuard.Generators.R2P2.Model;

/// <summary>
/// The type of a parameter or result: its fully qualified spelling, how it is encoded, the underlying kind of an enum
/// and the length bound of strings, byte spans and destinations (0 when no bound applies).
/// </summary>
internal sealed record ValueModel(string TypeName, ValueKind Kind, ValueKind EnumUnderlying, int MaxBytes);
