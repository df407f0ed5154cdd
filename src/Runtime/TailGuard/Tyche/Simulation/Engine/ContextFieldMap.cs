using System;

namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>
/// Where a core-context field sits in the engine's register groups. The monitor keeps five groups (16-bit, 32-bit,
/// 64-bit and natural-width VMCS fields, and the general-purpose registers) and a manager's access to a field is the bit
/// at the field's <em>position in its group's list</em> in the matching bitmap (tyche-devel
/// monitor/tyche/src/x86_64/context.rs, <c>translate_field</c>; checked in platform.rs <c>set_core</c>/<c>get_core</c>).
/// The lists below are that file's, in its order, as VMCS encodings (the general-purpose registers use the monitor's
/// pseudo-encodings 0xFF007000 + 2 x index). A field in no list is an error (the engine's own lookup would panic).
/// </summary>
internal static class ContextFieldMap
{
    /// <summary>The number of general-purpose registers READ_ALL_GP returns (RAX to R15; LSTAR is only read by field).</summary>
    public const int AllGeneralCount = 15;

    private static readonly uint[] Width16 =
    [
        0x0000, 0x0002, 0x0008, 0x0800, 0x0802, 0x0804, 0x0806, 0x0808,
        0x080A, 0x080C, 0x080E, 0x0810, 0x0812, 0x0C00, 0x0C02, 0x0C04,
        0x0C06, 0x0C08, 0x0C0A, 0x0C0C,
    ];

    private static readonly uint[] Width32 =
    [
        0x4000, 0x4002, 0x4004, 0x4006, 0x4008, 0x400A, 0x400C, 0x400E,
        0x4010, 0x4012, 0x4014, 0x4016, 0x4018, 0x401A, 0x401C, 0x401E,
        0x4020, 0x4022, 0x4024, 0x4400, 0x4402, 0x4404, 0x4406, 0x4408,
        0x440A, 0x440C, 0x440E, 0x4800, 0x4802, 0x4804, 0x4806, 0x4808,
        0x480A, 0x480C, 0x480E, 0x4810, 0x4812, 0x4814, 0x4816, 0x4818,
        0x481A, 0x481C, 0x481E, 0x4820, 0x4822, 0x4824, 0x4826, 0x482A,
        0x482E,
    ];

    private static readonly uint[] Width64 =
    [
        0x2000, 0x2002, 0x2004, 0x2006, 0x2008, 0x200A, 0x200E, 0x2010,
        0x2012, 0x2014, 0x2016, 0x2018, 0x201A, 0x201C, 0x201E, 0x2020,
        0x2022, 0x2024, 0x2026, 0x2028, 0x202C, 0x202E, 0x2032, 0x2034,
        0x2042, 0x2400, 0x2800, 0x2802, 0x2804, 0x2806, 0x2808, 0x280A,
        0x280C, 0x280E, 0x2810, 0x2812, 0x2814, 0x2C00, 0x2C02, 0x2C04,
    ];

    private static readonly uint[] Natural =
    [
        0x6000, 0x6002, 0x6004, 0x6006, 0x6008, 0x600A, 0x600C, 0x600E,
        0x6400, 0x640A, 0x6800, 0x6802, 0x6804, 0x6806, 0x6808, 0x680A,
        0x680C, 0x680E, 0x6810, 0x6812, 0x6814, 0x6816, 0x6818, 0x681A,
        0x681C, 0x681E, 0x6820, 0x6822, 0x6824, 0x6826,
    ];

    /// <summary>
    /// Finds a field: the bitmap that governs reading it (writing is the next index), its bit in that bitmap, and whether
    /// it is a general-purpose register (stored apart, in the register file). Like the monitor, only the low 32 bits of
    /// the field number count.
    /// </summary>
    public static bool TryLocate(ulong field, out PermissionIndex read, out int position, out bool general)
    {
        uint encoding = (uint)field;
        general = false;
        if (encoding >= ContextField.GuestRax && encoding <= ContextField.GuestLstar && (encoding & 1) == 0)
        {
            read = PermissionIndex.ManagerReadGeneral;
            position = (int)((encoding - ContextField.GuestRax) / 2);
            general = true;
            return true;
        }

        // VMCS encoding bits 13-14 give the width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural.
        (uint[] list, read) = ((encoding >> 13) & 3) switch
        {
            0 => (Width16, PermissionIndex.ManagerRead16),
            1 => (Width64, PermissionIndex.ManagerRead64),
            2 => (Width32, PermissionIndex.ManagerRead32),
            _ => (Natural, PermissionIndex.ManagerReadNatural),
        };
        position = Array.IndexOf(list, encoding);
        return position >= 0;
    }
}
