namespace TailGuard.Generators.R2P2.Model;

/// <summary>
/// The type of a parameter or result: its fully qualified spelling without a nullable annotation, how it is encoded,
/// the underlying kind of an enum, the length bound of strings, byte spans and destinations (0 when no bound applies),
/// and whether it is nullable (<c>string?</c>, <c>int?</c>: a presence byte precedes the value on the wire).
/// </summary>
internal sealed record ValueModel(string TypeName, ValueKind Kind, ValueKind EnumUnderlying, int MaxBytes, bool IsNullable = false)
{
    /// <summary>The type as declared in generated signatures (<c>string?</c>, <c>global::System.Guid?</c>).</summary>
    public string DeclaredTypeName => IsNullable ? TypeName + "?" : TypeName;
}
