namespace TailGuard.Tyche;

/// <summary>
/// Field numbers for CONFIGURE_CORE, GET_CONFIG_CORE and WRITE_FIELDS on x86-64: the VMCS encoding of a field, or the
/// monitor's pseudo-encoding 0xFF007000 + 2 x n for the general-purpose registers (RAX, RBX, RCX, RDX, RBP, RSI, RDI,
/// R8-R15, then LSTAR). A manager's access to a field after sealing is governed by the bitmap of the field's group and
/// the bit at the field's position in that group (docs/tyche.md, "Core contexts").
/// </summary>
public static class ContextField
{
    /// <summary>RAX (general-purpose register 0).</summary>
    public const uint GuestRax = 0xFF007000;

    /// <summary>RBX.</summary>
    public const uint GuestRbx = 0xFF007002;

    /// <summary>RCX.</summary>
    public const uint GuestRcx = 0xFF007004;

    /// <summary>RDX.</summary>
    public const uint GuestRdx = 0xFF007006;

    /// <summary>RSI.</summary>
    public const uint GuestRsi = 0xFF00700A;

    /// <summary>RDI.</summary>
    public const uint GuestRdi = 0xFF00700C;

    /// <summary>R8.</summary>
    public const uint GuestR8 = 0xFF00700E;

    /// <summary>R15 (the last register READ_ALL_GP returns).</summary>
    public const uint GuestR15 = 0xFF00701C;

    /// <summary>LSTAR (general-purpose group position 15; not part of READ_ALL_GP).</summary>
    public const uint GuestLstar = 0xFF00701E;

    /// <summary>Pin-based VM-execution controls (32-bit). Bit 0, external-interrupt exiting, must match the trap configuration.</summary>
    public const uint PinBasedControls = 0x4000;

    /// <summary>The exception bitmap (32-bit). It must equal the one derived from the domain's trap bitmap.</summary>
    public const uint ExceptionBitmap = 0x4004;

    /// <summary>Guest CR3 (natural width).</summary>
    public const uint GuestCr3 = 0x6802;

    /// <summary>Guest RSP (natural width).</summary>
    public const uint GuestRsp = 0x681C;

    /// <summary>Guest RIP (natural width).</summary>
    public const uint GuestRip = 0x681E;

    /// <summary>The WRITE_FIELDS end marker: a field number of all ones stops the list.</summary>
    public const ulong EndOfFields = ulong.MaxValue;
}
