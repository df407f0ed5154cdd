using System;

namespace TailGuard.Boundary;

/// <summary>
/// Bit patterns a type does not allow, checked where values cross: a <see cref="decimal"/> is valid only with a scale of
/// 0-28 and its reserved flag bits clear (bits 0-15 and 24-30 of its flags), the patterns decimal arithmetic can take.
/// </summary>
internal static class ValueRules
{
    private const int ReservedFlags = 0x7F00_FFFF;
    private const int MaxScale = 28;

    public static bool IsValid(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        int flags = bits[3];
        return (flags & ReservedFlags) == 0 && ((flags >> 16) & 0xFF) <= MaxScale;
    }

    public static bool AreValid(ReadOnlySpan<decimal> values)
    {
        foreach (decimal value in values)
        {
            if (!IsValid(value))
            {
                return false;
            }
        }

        return true;
    }
}
