namespace TailGuard.Tyche;

/// <summary>A core-context field and a value, for WRITE_FIELDS.</summary>
/// <param name="Field">The field encoding (VMCS encoding on x86-64: bits 13-14 give its width).</param>
/// <param name="Value">The value.</param>
public readonly record struct FieldValue(ulong Field, ulong Value);
