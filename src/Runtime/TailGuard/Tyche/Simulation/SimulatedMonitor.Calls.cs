using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// The monitor calls proper, each following the engine's code (tyche-devel crates/capability-engine/src/lib.rs and
// monitor/tyche/src/monitor.rs) for its checks, their order and their errors. Each validates everything before it
// changes anything, so a failed call leaves the state exactly as it was; compatible mode keeps the engine's visible
// partial effects where they are part of its contract (a seal that fails for lack of a Switch, WRITE_FIELDS applying the
// fields before the failing one). docs/tyche.md lists the deliberate differences. Callers hold the gate.
public sealed partial class SimulatedMonitor
{
    internal MonitorError DoCreateDomain(DomainState caller, out CapabilityHandle management)
    {
        management = CapabilityHandle.None;
        if (!Allows(caller, MonitorInterfaceRights.Spawn))
        {
            return MonitorError.InsufficientPermissions;
        }

        int index = Array.IndexOf(_domains, null);
        if (index < 0 && Mode == MonitorMode.Compatible)
        {
            NextDomainId(); // the engine takes the id before it finds the pool full
        }

        if (index < 0 || caller.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        var child = new DomainState(index, NextDomainId(), caller, _cores.Length);
        Install(child, new CapabilitySlot { Kind = CapabilityKind.Channel, Target = caller });
        _domains[index] = child;
        RebuildMap(child);
        management = Install(caller, new CapabilitySlot { Kind = CapabilityKind.Management, Target = child });
        return MonitorError.None;
    }

    internal MonitorError DoSeal(DomainState caller, int core, CapabilityHandle management, out CapabilityHandle switchCapability)
    {
        switchCapability = CapabilityHandle.None;
        MonitorError error = Resolve(caller, management, CapabilityKind.Management, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        DomainState target = caller.Slots[slot].Target!;
        if (target.Sealed)
        {
            return MonitorError.AlreadySealed;
        }

        int switchSlot = FindSlot(caller, CapabilityKind.Switch, target, core, null);
        if (switchSlot < 0 && Mode == MonitorMode.Strict)
        {
            return MonitorError.InvalidSwitch;
        }

        // The engine seals before it looks for the Switch capability, and computes the measurement only when the seal
        // call succeeds: a compatible-mode seal that fails here leaves the domain sealed with a zero measurement.
        target.Sealed = true;
        target.Frozen = true;
        if (switchSlot < 0)
        {
            target.Measurement = new byte[32];
            return MonitorError.InvalidSwitch;
        }

        target.Measurement = ComputeMeasurement(target);
        switchCapability = new CapabilityHandle(switchSlot, caller.Slots[switchSlot].Version);
        return MonitorError.None;
    }

    internal MonitorError DoSend(DomainState caller, CapabilityHandle capability, CapabilityHandle destination)
    {
        if (!Allows(caller, MonitorInterfaceRights.Send))
        {
            return MonitorError.InsufficientPermissions;
        }

        MonitorError error = Resolve(caller, capability, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (caller.Slots[slot].Kind == CapabilityKind.Region)
        {
            return MonitorError.InvalidCapa; // regions go through SEND_REGION
        }

        error = ResolveDestination(caller, destination, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (target!.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        CapabilitySlot moved = caller.Slots[slot];
        if (moved.Kind == CapabilityKind.Management
            && (~target.Permissions[(int)PermissionIndex.AllowedCores] & moved.Target!.Permissions[(int)PermissionIndex.AllowedCores]) != 0)
        {
            // A new manager must be allowed on every core the domain may run on (domain.rs, send_management).
            return MonitorError.InsufficientPermissions;
        }

        Clear(caller, slot);
        Install(target, moved);
        if (moved.Kind == CapabilityKind.Management)
        {
            moved.Target!.Manager = target;
        }

        return MonitorError.None;
    }

    internal MonitorError DoSegment(
        DomainState caller, CapabilityHandle region, bool shared, ulong start, ulong end, MemoryRights rights, out SegmentResult result)
    {
        result = default;
        MonitorError error = CheckSegmentRights(rights);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (!Allows(caller, shared ? MonitorInterfaceRights.Alias : MonitorInterfaceRights.Carve))
        {
            return MonitorError.InsufficientPermissions;
        }

        error = Resolve(caller, region, CapabilityKind.Region, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (caller.FreeSlots() < 2)
        {
            return MonitorError.OutOfMemory;
        }

        // segment.rs check_alias / check_carve: inside the parent, start <= end (an empty range is valid), rights within
        // the parent's; a carve overlaps no child, an alias overlaps no carved child.
        RegionNode parent = caller.Slots[slot].Region!;
        if (start > end || start < parent.Start || end > parent.End || (rights & ~parent.Rights & MemoryRights.AccessMask) != 0)
        {
            return MonitorError.InvalidOperation;
        }

        foreach (RegionNode child in parent.Children)
        {
            if (child.Overlaps(start, end) && (!shared || child.Kind == RegionKind.Carve))
            {
                return MonitorError.InvalidOperation;
            }
        }

        var node = new RegionNode(start, end, rights, shared ? RegionKind.Alias : RegionKind.Carve, parent, parent.MappedAt + (start - parent.Start))
        {
            Holder = caller,
        };
        parent.AddChild(node);
        CapabilityHandle toSend = Install(caller, new CapabilitySlot { Kind = CapabilityKind.Region, Region = node });
        CapabilityHandle toRevoke = Install(caller, new CapabilitySlot { Kind = CapabilityKind.RegionRevoke, Region = node });
        RebuildMap(caller);
        result = new SegmentResult(toSend, toRevoke);
        return MonitorError.None;
    }

    /// <summary>SEGMENT_REGION's rights: valid memory operations (write or execute need read), and no extras (monitor.rs, do_segment_region).</summary>
    private static MonitorError CheckSegmentRights(MemoryRights rights)
    {
        if ((rights & (MemoryRights.Write | MemoryRights.Exec)) != 0 && (rights & MemoryRights.Read) == 0)
        {
            return MonitorError.InvalidMemOps;
        }

        return (rights & MemoryRights.ExtrasMask) != 0 ? MonitorError.InvalidOperation : MonitorError.None;
    }

    internal MonitorError DoRevoke(DomainState caller, CapabilityHandle capability)
    {
        if (Mode == MonitorMode.Compatible && IsTombstone(caller, capability))
        {
            return MonitorError.None; // the engine revokes the empty capability left in the slot: nothing happens
        }

        MonitorError error = Resolve(caller, capability, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        ref CapabilitySlot entry = ref caller.Slots[slot];
        var touched = new HashSet<DomainState>();
        switch (entry.Kind)
        {
            case CapabilityKind.Region when entry.Region!.Kind == RegionKind.Root:
                return MonitorError.InvalidOperation; // root regions are never revoked
            case CapabilityKind.Region or CapabilityKind.RegionRevoke:
                // The holder of a derived region may give it back; a RegionRevoke takes back what was derived (lib.rs, revoke).
                RevokeSubtree(entry.Region!, touched);
                break;
            case CapabilityKind.Management:
            {
                DomainState target = entry.Target!;
                if (!target.Sealed && target.IsRunningAnywhere())
                {
                    return MonitorError.InvalidOperation; // an unsealed domain is only revoked when it runs nowhere
                }

                RevokeDomain(target, touched);
                break;
            }

            default:
                break; // Channel and Switch: no side effect
        }

        if (caller.Slots[slot].Kind != CapabilityKind.None)
        {
            Clear(caller, slot);
        }

        caller.Slots[slot].Tombstone = caller.Slots[slot].Version == (ushort)(capability.Version + 1);
        RebuildMaps(touched);
        return MonitorError.None;
    }

    /// <summary>Removes a region and its whole subtree; carved ranges return to the parent, CLEANUP ones zeroed first.</summary>
    private void RevokeSubtree(RegionNode top, HashSet<DomainState> touched)
    {
        foreach (RegionNode node in top.SubtreePostOrder())
        {
            if ((node.Rights & MemoryRights.Cleanup) != 0)
            {
                PendCleanup(node.Start, node.End); // zeroed by RebuildMaps, or later if a running domain still holds it
            }

            node.Live = false;
            if (node.Holder is { } holder)
            {
                int slot = FindSlot(holder, CapabilityKind.Region, null, 0, node);
                if (slot >= 0)
                {
                    Clear(holder, slot);
                }

                touched.Add(holder);
                node.Holder = null;
            }
        }

        if (top.Parent is { } parent)
        {
            parent.Children.Remove(top);
            if (parent.Holder is { } parentHolder)
            {
                touched.Add(parentHolder);
            }
        }

        // RegionRevoke capabilities to removed nodes dangle: the engine hides them from ENUMERATE and a REVOKE of one
        // succeeds doing nothing, so they become tombstones.
        foreach (DomainState? domain in _domains)
        {
            if (domain is null)
            {
                continue;
            }

            for (int slot = 0; slot < domain.Slots.Length; slot++)
            {
                if (domain.Slots[slot].Kind == CapabilityKind.RegionRevoke && !domain.Slots[slot].Region!.Live)
                {
                    Clear(domain, slot, tombstone: true);
                }
            }
        }
    }

    /// <summary>
    /// Stops a domain everywhere and revokes every capability it holds, in slot order, as the engine's <c>revoke</c>
    /// (domain.rs): its children, its regions, and the subtrees of the RegionRevoke capabilities it holds; then drops every
    /// capability that names it.
    /// </summary>
    private void RevokeDomain(DomainState target, HashSet<DomainState> touched)
    {
        target.Revoked = true;
        Instruments.Revoked(target);
        for (int slot = 0; slot < target.Slots.Length; slot++)
        {
            ref CapabilitySlot entry = ref target.Slots[slot];
            switch (entry.Kind)
            {
                case CapabilityKind.Management when !entry.Target!.Revoked:
                    RevokeDomain(entry.Target, touched);
                    break;
                case CapabilityKind.Region or CapabilityKind.RegionRevoke when entry.Region!.Live && entry.Region.Kind != RegionKind.Root:
                    RevokeSubtree(entry.Region, touched);
                    break;
            }
        }

        foreach (DomainState? domain in _domains)
        {
            if (domain is null)
            {
                continue;
            }

            for (int slot = 0; slot < domain.Slots.Length; slot++)
            {
                if ((domain.Slots[slot].Target == target || domain == target) && domain.Slots[slot].Kind != CapabilityKind.None)
                {
                    Clear(domain, slot);
                }
            }
        }

        _domains[target.Index] = null;
        touched.Add(target);
    }

    internal MonitorError DoDuplicate(DomainState caller, CapabilityHandle capability, out CapabilityHandle duplicate)
    {
        duplicate = CapabilityHandle.None;
        if (!Allows(caller, MonitorInterfaceRights.Duplicate))
        {
            return MonitorError.InsufficientPermissions;
        }

        MonitorError error = Resolve(caller, capability, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (caller.Slots[slot].Kind is not (CapabilityKind.Channel or CapabilityKind.RegionRevoke))
        {
            return MonitorError.CannotDuplicate;
        }

        if (caller.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        duplicate = Install(caller, caller.Slots[slot]);
        return MonitorError.None;
    }

    /// <summary>
    /// ENUMERATE: the first capability at or after <paramref name="token"/>. Domains are reported by their engine id;
    /// Management carries the sealed flag, Region and RegionRevoke the confidential ("unique") flag (capa.rs, <c>info</c>).
    /// Tombstones passed over are collected, as the engine's enumeration frees them.
    /// </summary>
    internal static ulong DoEnumerate(DomainState caller, ulong token, out CapabilityInfo info)
    {
        for (ulong index = token; index < DomainState.CapabilityLimit; index++)
        {
            ref CapabilitySlot entry = ref caller.Slots[index];
            if (entry.Kind == CapabilityKind.None)
            {
                entry.Tombstone = false;
                continue;
            }

            var handle = new CapabilityHandle((int)index, entry.Version);
            info = entry.Kind switch
            {
                CapabilityKind.Region or CapabilityKind.RegionRevoke => new CapabilityInfo(
                    handle, entry.Kind, entry.Region!.Start, entry.Region.End, entry.Region.Rights, entry.Region.Kind, entry.Region.Unique, false),
                CapabilityKind.Switch => new CapabilityInfo(
                    handle, entry.Kind, (ulong)entry.Target!.Id, (ulong)entry.Core, MemoryRights.None, RegionKind.None, false, false),
                CapabilityKind.Management => new CapabilityInfo(
                    handle, entry.Kind, (ulong)entry.Target!.Id, 0, MemoryRights.None, RegionKind.None, false, entry.Target.Sealed),
                _ => new CapabilityInfo(
                    handle, entry.Kind, (ulong)entry.Target!.Id, 0, MemoryRights.None, RegionKind.None, false, false),
            };
            return index + 1 >= DomainState.CapabilityLimit ? 0 : index + 1;
        }

        info = default;
        return 0;
    }

    internal MonitorError DoConfigure(DomainState caller, PermissionIndex index, CapabilityHandle management, ulong value)
    {
        if ((uint)index >= DomainState.PermissionCount)
        {
            return MonitorError.InvalidOperation;
        }

        MonitorError error = Resolve(caller, management, CapabilityKind.Management, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        DomainState target = caller.Slots[slot].Target!;
        if (target.Sealed)
        {
            return MonitorError.AlreadySealed;
        }

        if (target.Frozen)
        {
            return MonitorError.AlreadyFrozen;
        }

        // Strict: a manager grants only the monitor-interface, trap and core bits it holds itself.
        if (Mode == MonitorMode.Strict && index <= PermissionIndex.AllowedCores && (value & ~caller.Permissions[(int)index]) != 0)
        {
            return MonitorError.InsufficientPermissions;
        }

        target.Permissions[(int)index] = value;
        return MonitorError.None;
    }

    /// <summary>
    /// SEND_REGION (monitor.rs, do_send_region): moves a region, root or derived, to the destination, mapped at
    /// <paramref name="aliasAddress"/>. With <paramref name="isRepeat"/>, <paramref name="size"/> must be a non-zero
    /// multiple of the region's size and the destination sees size / region-size consecutive copies; otherwise
    /// <paramref name="size"/> is not used. Extras are only HASH, CLEANUP, VITAL (and UNCACHEABLE); sent with any extra,
    /// the region's hash is taken (HASH) or reset.
    /// </summary>
    internal MonitorError DoSendRegion(
        DomainState caller, CapabilityHandle region, CapabilityHandle destination, ulong aliasAddress, bool isRepeat, ulong size, MemoryRights extras)
    {
        if ((extras & (MemoryRights.Write | MemoryRights.Exec)) != 0 && (extras & MemoryRights.Read) == 0)
        {
            return MonitorError.InvalidMemOps;
        }

        if ((extras & MemoryRights.AccessMask) != 0)
        {
            return MonitorError.InvalidPermissions;
        }

        if (!Allows(caller, MonitorInterfaceRights.Send))
        {
            return MonitorError.InsufficientPermissions;
        }

        MonitorError error = Resolve(caller, region, CapabilityKind.Region, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        RegionNode node = caller.Slots[slot].Region!;
        ulong repeat = 1;
        if (isRepeat)
        {
            if (node.Size == 0 || size == 0 || size % node.Size != 0)
            {
                return MonitorError.InvalidValue;
            }

            repeat = size / node.Size;
        }

        error = ResolveDestination(caller, destination, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        ulong span = node.Size * repeat;
        if (aliasAddress > ulong.MaxValue - span)
        {
            return MonitorError.InvalidValue;
        }

        if (Mode == MonitorMode.Strict && target!.Sealed)
        {
            return MonitorError.AlreadySealed;
        }

        foreach (MapEntry mapped in target!.Map)
        {
            if (aliasAddress < mapped.AddressEnd && mapped.AddressStart < aliasAddress + span)
            {
                return MonitorError.AlreadyAliased;
            }
        }

        if (target != caller && target.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        CapabilitySlot moved = caller.Slots[slot];
        Clear(caller, slot);
        Install(target, moved);
        node.Holder = target;
        node.MappedAt = aliasAddress;
        node.Repeat = repeat;
        if (extras != MemoryRights.None)
        {
            node.Rights |= extras;
            node.Hash = (extras & MemoryRights.Hash) != 0 ? SHA256.HashData(_memory.AsSpan((int)node.Start, (int)node.Size)) : null;
        }

        RebuildMap(caller);
        RebuildMap(target);
        return MonitorError.None;
    }

    internal MonitorError DoAllocCoreContext(DomainState caller, CapabilityHandle management, int core, out CapabilityHandle switchCapability)
    {
        switchCapability = CapabilityHandle.None;
        MonitorError error = Resolve(caller, management, CapabilityKind.Management, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        DomainState target = caller.Slots[slot].Target!;
        if ((uint)core >= (uint)_cores.Length || (target.Permissions[(int)PermissionIndex.AllowedCores] & (1UL << core)) == 0)
        {
            return MonitorError.InvalidCore;
        }

        if (caller.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        if (target.Sealed)
        {
            return MonitorError.AlreadySealed; // lib.rs, freeze_permissions: no new context once sealed
        }

        if (target.HoldsSwitch() || target.Contexts[core] is not null)
        {
            return MonitorError.InvalidOperation;
        }

        target.Frozen = true;
        var context = new CoreContext();
        context.Fields[ContextField.ExceptionBitmap] = TranslatedExceptionBitmap(target);
        context.Fields[ContextField.PinBasedControls] = TrapsExternalInterrupts(target) ? 1UL : 0UL;
        target.Contexts[core] = context;
        switchCapability = Install(caller, new CapabilitySlot { Kind = CapabilityKind.Switch, Target = target, Core = core });
        return MonitorError.None;
    }

    /// <summary>The exception bitmap the monitor derives from trap bitmap 0: exceptions the domain does not handle exit (x86_64/state.rs, translated_exception).</summary>
    private static ulong TranslatedExceptionBitmap(DomainState domain)
    {
        const uint definedExceptions = 0x601F7DFF; // the exception vectors the VMX exception bitmap defines
        return ~(uint)domain.Permissions[(int)PermissionIndex.AllowedTraps0] & definedExceptions;
    }

    /// <summary>Whether external interrupts exit: unless the domain handles every interrupt vector (x86_64/state.rs, should_trap_external_interrupt).</summary>
    private static bool TrapsExternalInterrupts(DomainState domain)
    {
        ulong[] permissions = domain.Permissions;
        return (permissions[(int)PermissionIndex.AllowedTraps0] >> 32) != uint.MaxValue
            || permissions[(int)PermissionIndex.AllowedTraps1] != ulong.MaxValue
            || permissions[(int)PermissionIndex.AllowedTraps2] != ulong.MaxValue
            || permissions[(int)PermissionIndex.AllowedTraps3] != ulong.MaxValue;
    }

    /// <summary>Resolves a child's context for the register calls: the core must be allowed for the child and its context allocated.</summary>
    private MonitorError ResolveContext(DomainState caller, CapabilityHandle management, int core, out CoreContext? context, out DomainState? target)
    {
        context = null;
        target = null;
        MonitorError error = Resolve(caller, management, CapabilityKind.Management, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        target = caller.Slots[slot].Target!;
        if ((uint)core >= (uint)_cores.Length
            || (target.Permissions[(int)PermissionIndex.AllowedCores] & (1UL << core)) == 0
            || target.Contexts[core] is null)
        {
            return MonitorError.InvalidCore;
        }

        context = target.Contexts[core];
        return MonitorError.None;
    }

    /// <summary>
    /// Finds a field and checks the manager may access it: after sealing, the bit at the field's position in its group's
    /// list must be set in the group's read or write bitmap (x86_64/platform.rs, set_core / get_core).
    /// </summary>
    private static MonitorError LocateField(DomainState target, ulong field, bool write, out bool general, out int position)
    {
        if (!ContextFieldMap.TryLocate(field, out PermissionIndex read, out position, out general))
        {
            return MonitorError.InvalidValue;
        }

        PermissionIndex bitmap = write ? read + 1 : read;
        return target.Sealed && ((target.Permissions[(int)bitmap] >> position) & 1) == 0
            ? MonitorError.InsufficientPermissions
            : MonitorError.None;
    }

    /// <summary>Checks one field write: access, then the fields tied to the trap configuration, which must keep the values it implies.</summary>
    private static MonitorError CheckFieldWrite(DomainState target, FieldValue field)
    {
        MonitorError error = LocateField(target, field.Field, write: true, out _, out _);
        if (error != MonitorError.None)
        {
            return error;
        }

        return (uint)field.Field switch
        {
            ContextField.ExceptionBitmap when (uint)field.Value != TranslatedExceptionBitmap(target) => MonitorError.AlreadyFrozen,
            ContextField.PinBasedControls when ((field.Value & 1) != 0) != TrapsExternalInterrupts(target) => MonitorError.AlreadyFrozen,
            _ => MonitorError.None,
        };
    }

    private static void StoreField(CoreContext context, FieldValue field)
    {
        _ = ContextFieldMap.TryLocate(field.Field, out _, out int position, out bool general);
        if (general)
        {
            context.GeneralRegisters[position] = field.Value;
        }
        else
        {
            context.Fields[(uint)field.Field] = field.Value;
        }
    }

    /// <summary>
    /// CONFIGURE_CORE and WRITE_FIELDS: up to six fields, in order, stopping at a field number of all ones. Like the
    /// engine (monitor.rs, do_write_fields), compatible mode writes the fields one by one and stops at the first that
    /// fails, leaving those before it written; strict mode checks them all first.
    /// </summary>
    internal MonitorError DoWriteFields(DomainState caller, CapabilityHandle management, int core, ReadOnlySpan<FieldValue> fields)
    {
        if (fields.Length > 6)
        {
            return MonitorError.InvalidOperation;
        }

        MonitorError error = ResolveContext(caller, management, core, out CoreContext? context, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        int count = 0;
        while (count < fields.Length && fields[count].Field != ContextField.EndOfFields)
        {
            count++;
        }

        fields = fields[..count];
        if (Mode == MonitorMode.Strict)
        {
            foreach (FieldValue field in fields)
            {
                error = CheckFieldWrite(target!, field);
                if (error != MonitorError.None)
                {
                    return error;
                }
            }
        }

        foreach (FieldValue field in fields)
        {
            error = CheckFieldWrite(target!, field);
            if (error != MonitorError.None)
            {
                return error;
            }

            StoreField(context!, field);
        }

        return MonitorError.None;
    }

    internal MonitorError DoGetConfigCore(DomainState caller, CapabilityHandle management, int core, ulong field, out ulong value)
    {
        value = 0;
        MonitorError error = ResolveContext(caller, management, core, out CoreContext? context, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        error = LocateField(target!, field, write: false, out bool general, out int position);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (general)
        {
            value = context!.GeneralRegisters[position];
        }
        else
        {
            context!.Fields.TryGetValue((uint)field, out value);
        }

        return MonitorError.None;
    }

    /// <summary>READ_ALL_GP: RAX to R15 (15 registers); after sealing each needs its bit in the general read bitmap (platform.rs, get_core_gp).</summary>
    internal MonitorError DoReadAllGeneral(DomainState caller, CapabilityHandle management, int core, Span<ulong> destination)
    {
        MonitorError error = ResolveContext(caller, management, core, out CoreContext? context, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (destination.Length < ContextFieldMap.AllGeneralCount)
        {
            return MonitorError.BufferTooSmall;
        }

        const ulong allGeneral = (1UL << ContextFieldMap.AllGeneralCount) - 1;
        if (target!.Sealed && (target.Permissions[(int)PermissionIndex.ManagerReadGeneral] & allGeneral) != allGeneral)
        {
            return MonitorError.InsufficientPermissions;
        }

        context!.GeneralRegisters.AsSpan(0, ContextFieldMap.AllGeneralCount).CopyTo(destination);
        return MonitorError.None;
    }

    /// <summary>
    /// REVOKE_ALIASED_REGION (monitor.rs, do_revoke_region): the destination must be a Management or Channel capability;
    /// the engine unmaps [address, address + size) from it and then REVOKEs the capability given, whatever its kind.
    /// Here mappings follow capabilities, so the revocation is what removes the mapping.
    /// </summary>
    internal MonitorError DoRevokeAliasedRegion(DomainState caller, CapabilityHandle capability, CapabilityHandle destination, ulong address, ulong size)
    {
        _ = address;
        _ = size;
        MonitorError error = ResolveDestination(caller, destination, out _);
        return error != MonitorError.None ? error : DoRevoke(caller, capability);
    }

    /// <summary>
    /// GET_HPA: the physical address behind one of the caller's addresses. Like the engine (x86_64/platform.rs, find_hpa),
    /// an address that is not remapped is reported as identity-mapped.
    /// </summary>
    internal static MonitorError DoGetHpa(DomainState caller, ulong address, ulong size, out ulong physical, out ulong physicalSize)
    {
        foreach (MapEntry entry in caller.Map)
        {
            if (address >= entry.AddressStart && address < entry.AddressEnd)
            {
                physical = entry.PhysicalStart + (address - entry.AddressStart);
                physicalSize = Math.Min(size, entry.AddressEnd - address);
                return MonitorError.None;
            }
        }

        physical = address;
        physicalSize = size;
        return MonitorError.None;
    }

    /// <summary>
    /// SET_CPUID_ENTRY (x86_64/platform.rs, install_cpuid_entry): records a CPUID answer in the target's context on the
    /// calling core. The table holds 50 entries and is checked for room before an existing entry is updated.
    /// </summary>
    internal static MonitorError DoSetCpuidEntry(DomainState caller, int core, CapabilityHandle target, CpuidEntry entry)
    {
        MonitorError error = ResolveDestination(caller, target, out DomainState? domain);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (domain!.Contexts[core] is not { } context)
        {
            return MonitorError.InvalidCore;
        }

        if (context.CpuidEntries.Count >= CoreContext.CpuidEntryLimit)
        {
            return MonitorError.OutOfMemory;
        }

        int existing = context.CpuidEntries.FindIndex(known => known.Function == entry.Function && known.Index == entry.Index);
        if (existing >= 0)
        {
            context.CpuidEntries[existing] = entry;
        }
        else
        {
            context.CpuidEntries.Add(entry);
        }

        return MonitorError.None;
    }

    /// <summary>
    /// SHA-256 over the HASH-flagged regions in enumeration order: start and end (little-endian u64), one byte each for
    /// HASH, EXEC, WRITE, READ, one byte for unique, then the region's bytes (monitor/tyche/src/attestation_domain.rs).
    /// </summary>
    private byte[] ComputeMeasurement(DomainState domain)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[21];
        foreach (ref readonly CapabilitySlot entry in domain.Slots.AsSpan())
        {
            if (entry.Kind != CapabilityKind.Region || (entry.Region!.Rights & MemoryRights.Hash) == 0)
            {
                continue;
            }

            RegionNode node = entry.Region;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header, node.Start);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header[8..], node.End);
            header[16] = 1;
            header[17] = (node.Rights & MemoryRights.Exec) != 0 ? (byte)1 : (byte)0;
            header[18] = (node.Rights & MemoryRights.Write) != 0 ? (byte)1 : (byte)0;
            header[19] = (node.Rights & MemoryRights.Read) != 0 ? (byte)1 : (byte)0;
            header[20] = node.Unique ? (byte)1 : (byte)0;
            hash.AppendData(header);
            hash.AppendData(_memory, (int)node.Start, (int)(node.End - node.Start));
        }

        return hash.GetHashAndReset();
    }
}
