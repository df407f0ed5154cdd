using System;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Fidelity to the engine's core-context rules (F1-F7): register-access bitmaps by position in the group's list, fields
/// tied to the trap configuration, partial multi-field writes. Each test names the reference file it was derived from.
/// </summary>
public sealed class FidelityRegisterTests
{
    private const ulong DefinedExceptions = 0x601F7DFF; // the vectors vmx's ExceptionBitmap defines (crates/vmx/src/bitmaps.rs)

    /// <summary>A child with a context on core 0, its register bitmaps as given, not yet sealed.</summary>
    private static Child ChildWithBitmaps(SimulatedCore core, PermissionIndex index, ulong bitmap, ulong traps0 = 0)
    {
        Child child = NewChild(core, allocateContext: false);
        for (PermissionIndex each = PermissionIndex.ManagerRead16; each <= PermissionIndex.ManagerWriteGeneral; each++)
        {
            core.Configure(each, child.Management, each == index ? bitmap : 0);
        }

        core.Configure(PermissionIndex.AllowedTraps0, child.Management, traps0);
        return child with { Switch = core.AllocCoreContext(child.Management, 0) };
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/context.rs translate_field; x86_64/platform.rs get_core")]
    public void F1_Compatible_a_field_s_bit_is_its_position_in_its_group_s_list_not_a_bit_of_its_encoding()
    {
        // GuestRip (0x681E) is 25th in the natural-width list; the old encoding-derived bit, (0x681E >> 1) & 63, is 15,
        // which is GuestSsBase's position.
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child byPosition = ChildWithBitmaps(core, PermissionIndex.ManagerReadNatural, 1UL << 25);
        core.ConfigureCore(byPosition.Management, 0, ContextField.GuestRip, 0x1000);
        core.ConfigureCore(byPosition.Management, 0, ContextField.GuestCr3, 0x2000);
        core.Seal(byPosition.Management);

        Assert.Equal(0x1000UL, core.GetConfigCore(byPosition.Management, 0, ContextField.GuestRip));
        Fails(MonitorError.InsufficientPermissions, () => core.GetConfigCore(byPosition.Management, 0, ContextField.GuestCr3));
        Fails(MonitorError.InsufficientPermissions, () => core.ConfigureCore(byPosition.Management, 0, ContextField.GuestRip, 0)); // the write bitmap is empty

        Child byEncodingBit = ChildWithBitmaps(core, PermissionIndex.ManagerReadNatural, 1UL << 15);
        core.Seal(byEncodingBit.Management);
        Fails(MonitorError.InsufficientPermissions, () => core.GetConfigCore(byEncodingBit.Management, 0, ContextField.GuestRip));
        Assert.Equal(0UL, core.GetConfigCore(byEncodingBit.Management, 0, 0x680A)); // GuestSsBase, position 15
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/context.rs ContextGpx86; x86_64/platform.rs set_core")]
    public void F2_Compatible_general_registers_are_the_general_group_by_position_RAX_first()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = ChildWithBitmaps(core, PermissionIndex.ManagerWriteGeneral, 1UL << 0); // RAX writable only, nothing readable
        core.Seal(child.Management);

        core.ConfigureCore(child.Management, 0, ContextField.GuestRax, 7);
        Fails(MonitorError.InsufficientPermissions, () => core.ConfigureCore(child.Management, 0, ContextField.GuestRbx, 7));
        Fails(MonitorError.InsufficientPermissions, () => core.GetConfigCore(child.Management, 0, ContextField.GuestRax)); // reads are denied
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/platform.rs set_core (ExceptionBitmap); x86_64/state.rs translated_exception")]
    public void F3_Compatible_the_exception_bitmap_is_derived_from_the_traps_and_any_other_value_fails_AlreadyFrozen_even_unsealed()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        const int PageFault = 14;
        Child child = ChildWithBitmaps(core, PermissionIndex.ManagerRead32, ulong.MaxValue, traps0: 1UL << PageFault);
        ulong expected = ~(1UL << PageFault) & DefinedExceptions & uint.MaxValue; // the domain handles #PF: every other exception exits

        Assert.Equal(expected, core.GetConfigCore(child.Management, 0, ContextField.ExceptionBitmap));
        core.ConfigureCore(child.Management, 0, ContextField.ExceptionBitmap, expected);
        Fails(MonitorError.AlreadyFrozen, () => core.ConfigureCore(child.Management, 0, ContextField.ExceptionBitmap, 0));
        Fails(MonitorError.AlreadyFrozen, () => core.ConfigureCore(child.Management, 0, ContextField.ExceptionBitmap, expected | (1UL << PageFault)));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/platform.rs set_core (PinBasedVmExecControl); x86_64/state.rs should_trap_external_interrupt")]
    public void F4_Compatible_pin_based_external_interrupt_exiting_must_match_whether_the_domain_handles_every_interrupt()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child exits = ChildWithBitmaps(core, PermissionIndex.ManagerRead32, ulong.MaxValue); // handles nothing: interrupts exit
        Assert.Equal(1UL, core.GetConfigCore(exits.Management, 0, ContextField.PinBasedControls) & 1);
        core.ConfigureCore(exits.Management, 0, ContextField.PinBasedControls, 1 | (1 << 3));
        Fails(MonitorError.AlreadyFrozen, () => core.ConfigureCore(exits.Management, 0, ContextField.PinBasedControls, 1 << 3));

        Child handlesAll = NewChild(core, allocateContext: false);
        core.Configure(PermissionIndex.AllowedTraps0, handlesAll.Management, 0xFFFF_FFFF_0000_0000); // every interrupt vector, no exception
        for (PermissionIndex traps = PermissionIndex.AllowedTraps1; traps <= PermissionIndex.AllowedTraps3; traps++)
        {
            core.Configure(traps, handlesAll.Management, ulong.MaxValue);
        }

        core.AllocCoreContext(handlesAll.Management, 0);
        core.ConfigureCore(handlesAll.Management, 0, ContextField.PinBasedControls, 0);
        Fails(MonitorError.AlreadyFrozen, () => core.ConfigureCore(handlesAll.Management, 0, ContextField.PinBasedControls, 1));
    }

    [Theory]
    [InlineData(MonitorMode.Compatible)]
    [InlineData(MonitorMode.Strict)]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_write_fields")]
    public void F5_WRITE_FIELDS_applies_fields_in_order_and_a_failure_leaves_the_earlier_ones_written_in_compatible_mode_only(MonitorMode mode)
    {
        using SimulatedMonitor monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        Child child = ChildWithBitmaps(core, PermissionIndex.ManagerRead16, 0);

        FieldValue[] fields = [new(ContextField.GuestRip, 0x1000), new(ContextField.ExceptionBitmap, 0), new(ContextField.GuestRsp, 0x2000)];
        Fails(MonitorError.AlreadyFrozen, () => core.WriteFields(child.Management, 0, fields));

        Assert.Equal(mode == MonitorMode.Compatible ? 0x1000UL : 0, core.GetConfigCore(child.Management, 0, ContextField.GuestRip));
        Assert.Equal(0UL, core.GetConfigCore(child.Management, 0, ContextField.GuestRsp));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/monitor.rs do_write_fields (a field of all ones ends the list)")]
    public void F6_Compatible_a_field_number_of_all_ones_ends_a_WRITE_FIELDS_list()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = ChildWithBitmaps(core, PermissionIndex.ManagerRead16, 0);

        core.WriteFields(child.Management, 0, [new(ContextField.GuestRip, 0x1000), new(ContextField.EndOfFields, 0), new(ContextField.GuestRsp, 0x2000)]);

        Assert.Equal(0x1000UL, core.GetConfigCore(child.Management, 0, ContextField.GuestRip));
        Assert.Equal(0UL, core.GetConfigCore(child.Management, 0, ContextField.GuestRsp));
    }

    [Fact]
    [Trait("Reference", "tyche-devel monitor/tyche/src/x86_64/platform.rs get_core_gp, set_core (VmcsField::from_u32)")]
    public void F7_Compatible_unknown_fields_fail_InvalidValue_and_READ_ALL_GP_needs_the_bits_of_RAX_to_R15_only()
    {
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        Child child = ChildWithBitmaps(core, PermissionIndex.ManagerReadGeneral, 0x7FFF); // RAX-R15, not LSTAR
        core.ConfigureCore(child.Management, 0, ContextField.GuestR15, 15);
        core.Seal(child.Management);

        Fails(MonitorError.InvalidValue, () => core.GetConfigCore(child.Management, 0, 0x1234));
        Fails(MonitorError.InvalidValue, () => core.ConfigureCore(child.Management, 0, 0x6C16, 0)); // HostRip: a VMCS field in no group
        Span<ulong> registers = stackalloc ulong[15];
        core.ReadAllGeneralRegisters(child.Management, 0, registers);
        Assert.Equal(15UL, registers[14]);
        Fails(MonitorError.InsufficientPermissions, () => core.GetConfigCore(child.Management, 0, ContextField.GuestLstar));
        Fails(MonitorError.BufferTooSmall, () => core.ReadAllGeneralRegisters(child.Management, 0, new ulong[14]));

        Child withoutR15 = ChildWithBitmaps(core, PermissionIndex.ManagerReadGeneral, 0x3FFF | (1UL << 15));
        core.Seal(withoutR15.Management);
        Fails(MonitorError.InsufficientPermissions, () => core.ReadAllGeneralRegisters(withoutR15.Management, 0, new ulong[15]));
        Assert.Equal(0UL, core.GetConfigCore(withoutR15.Management, 0, ContextField.GuestLstar));
    }
}
