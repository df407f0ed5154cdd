using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// The monitor calls proper. Each validates everything before it changes anything, so a failed call leaves the state
// exactly as it was (the one deliberate exception: a compatible-mode seal without a Switch capability, like today's
// monitor). Callers hold the gate.
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
        if (index < 0 || caller.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        var child = new DomainState(index, ++_generations[index], caller, _cores.Length);
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

        // Today's monitor seals before looking for the Switch capability: the compatible mode keeps that order.
        target.Sealed = true;
        target.Measurement = ComputeMeasurement(target);
        if (switchSlot < 0)
        {
            return MonitorError.InvalidSwitch;
        }

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
            return MonitorError.InvalidCapa;
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
        if (!Allows(caller, shared ? MonitorInterfaceRights.Alias : MonitorInterfaceRights.Carve))
        {
            return MonitorError.InsufficientPermissions;
        }

        MonitorError error = Resolve(caller, region, CapabilityKind.Region, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        RegionNode parent = caller.Slots[slot].Region!;
        error = CheckRights(rights, parent.Rights);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (start >= end || start < parent.Start || end > parent.End)
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

        if (caller.FreeSlots() < 2)
        {
            return MonitorError.OutOfMemory;
        }

        var node = new RegionNode(start, end, rights, shared ? RegionKind.Alias : RegionKind.Carve, parent, parent.MappedAt + (start - parent.Start))
        {
            Holder = caller,
        };
        parent.Children.Add(node);
        CapabilityHandle toSend = Install(caller, new CapabilitySlot { Kind = CapabilityKind.Region, Region = node });
        CapabilityHandle toRevoke = Install(caller, new CapabilitySlot { Kind = CapabilityKind.RegionRevoke, Region = node });
        RebuildMap(caller);
        result = new SegmentResult(toSend, toRevoke);
        return MonitorError.None;
    }

    private static MonitorError CheckRights(MemoryRights requested, MemoryRights parent)
    {
        if ((requested & ~MemoryRights.AccessMask) != 0)
        {
            return MonitorError.InvalidMemOps; // extras only travel with SEND_REGION
        }

        if ((requested & (MemoryRights.Write | MemoryRights.Exec)) != 0 && (requested & MemoryRights.Read) == 0)
        {
            return MonitorError.InvalidMemOps;
        }

        return (requested & ~(parent & MemoryRights.AccessMask)) != 0 ? MonitorError.InsufficientPermissions : MonitorError.None;
    }

    internal MonitorError DoRevoke(DomainState caller, CapabilityHandle capability)
    {
        MonitorError error = Resolve(caller, capability, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        ref CapabilitySlot entry = ref caller.Slots[slot];
        switch (entry.Kind)
        {
            case CapabilityKind.Region:
                // Regions go back through their RegionRevoke; a root region has none and is never revoked.
                return MonitorError.InvalidOperation;
            case CapabilityKind.RegionRevoke:
            {
                var touched = new HashSet<DomainState>();
                RevokeSubtree(entry.Region!, touched);
                RebuildMaps(touched);
                return MonitorError.None;
            }

            case CapabilityKind.Management:
            {
                DomainState target = entry.Target!;
                if (!target.Sealed && target.IsRunningAnywhere())
                {
                    return MonitorError.InvalidOperation;
                }

                var touched = new HashSet<DomainState>();
                RevokeDomain(target, touched);
                RebuildMaps(touched);
                return MonitorError.None;
            }

            default:
                Clear(caller, slot);
                return MonitorError.None;
        }
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

        // RegionRevoke capabilities to removed nodes (the one used included) go with them.
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
                    Clear(domain, slot);
                }
            }
        }
    }

    /// <summary>Stops a domain everywhere, revokes its children and its memory recursively, and drops every capability to it.</summary>
    private void RevokeDomain(DomainState target, HashSet<DomainState> touched)
    {
        target.Revoked = true;
        for (int slot = 0; slot < target.Slots.Length; slot++)
        {
            ref CapabilitySlot entry = ref target.Slots[slot];
            if (entry.Kind == CapabilityKind.Management && !entry.Target!.Revoked)
            {
                RevokeDomain(entry.Target, touched);
            }
        }

        for (int slot = 0; slot < target.Slots.Length; slot++)
        {
            ref CapabilitySlot entry = ref target.Slots[slot];
            if (entry.Kind == CapabilityKind.Region && entry.Region!.Live)
            {
                RevokeSubtree(entry.Region, touched);
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
                if (domain.Slots[slot].Target == target || domain == target)
                {
                    if (domain.Slots[slot].Kind != CapabilityKind.None)
                    {
                        Clear(domain, slot);
                    }
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

    internal static ulong DoEnumerate(DomainState caller, ulong token, out CapabilityInfo info)
    {
        for (ulong index = token; index < DomainState.CapabilityLimit; index++)
        {
            ref CapabilitySlot entry = ref caller.Slots[index];
            if (entry.Kind == CapabilityKind.None)
            {
                continue;
            }

            var handle = new CapabilityHandle((int)index, entry.Version);
            info = entry.Kind switch
            {
                CapabilityKind.Region => new CapabilityInfo(
                    handle, entry.Kind, entry.Region!.Start, entry.Region.End, entry.Region.Rights, entry.Region.Kind, entry.Region.Unique, false),
                CapabilityKind.RegionRevoke => new CapabilityInfo(
                    handle, entry.Kind, entry.Region!.Start, entry.Region.End, entry.Region.Rights, entry.Region.Kind, false, false),
                CapabilityKind.Switch => new CapabilityInfo(
                    handle, entry.Kind, (ulong)entry.Target!.Index, (ulong)entry.Core, MemoryRights.None, RegionKind.None, false, entry.Target.Sealed),
                _ => new CapabilityInfo(
                    handle, entry.Kind, (ulong)entry.Target!.Index, 0, MemoryRights.None, RegionKind.None, false, entry.Target.Sealed),
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

    internal MonitorError DoSendRegion(
        DomainState caller, CapabilityHandle region, CapabilityHandle destination, ulong aliasAddress, ulong size, MemoryRights extras)
    {
        if (!Allows(caller, MonitorInterfaceRights.Send))
        {
            return MonitorError.InsufficientPermissions;
        }

        MonitorError error = Resolve(caller, region, CapabilityKind.Region, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        error = ResolveDestination(caller, destination, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        RegionNode node = caller.Slots[slot].Region!;
        if (node.Kind == RegionKind.Root || size != node.End - node.Start || aliasAddress > ulong.MaxValue - size)
        {
            return MonitorError.InvalidOperation;
        }

        if ((extras & ~MemoryRights.ExtrasMask) != 0)
        {
            return MonitorError.InvalidMemOps;
        }

        if (Mode == MonitorMode.Strict && target!.Sealed)
        {
            return MonitorError.AlreadySealed;
        }

        foreach (MapEntry mapped in target!.Map)
        {
            if (aliasAddress < mapped.AddressEnd && mapped.AddressStart < aliasAddress + size)
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
        node.Rights |= extras;
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

        if (target.Contexts[core] is not null)
        {
            return MonitorError.InvalidOperation;
        }

        if (caller.FreeSlots() == 0)
        {
            return MonitorError.OutOfMemory;
        }

        target.Frozen = true;
        target.Contexts[core] = new CoreContext();
        switchCapability = Install(caller, new CapabilitySlot { Kind = CapabilityKind.Switch, Target = target, Core = core });
        return MonitorError.None;
    }

    /// <summary>Resolves a child's context for the register calls and checks the manager's register-access bitmaps.</summary>
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
        if ((uint)core >= (uint)_cores.Length || target.Contexts[core] is null)
        {
            return MonitorError.InvalidCore;
        }

        context = target.Contexts[core];
        return MonitorError.None;
    }

    /// <summary>Whether a sealed domain's manager may access a field: VMCS width (bits 13-14) picks the bitmap, bits 1-6 the bit.</summary>
    private static bool FieldAllowed(DomainState target, ulong field, bool write)
    {
        if (!target.Sealed)
        {
            return true;
        }

        PermissionIndex index = ((field >> 13) & 3) switch
        {
            0 => PermissionIndex.ManagerRead16,
            1 => PermissionIndex.ManagerRead64,
            2 => PermissionIndex.ManagerRead32,
            _ => PermissionIndex.ManagerReadNatural,
        };
        if (write)
        {
            index++;
        }

        return ((target.Permissions[(int)index] >> (int)((field >> 1) & 63)) & 1) != 0;
    }

    internal MonitorError DoConfigureCore(DomainState caller, CapabilityHandle management, int core, ReadOnlySpan<FieldValue> fields)
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

        foreach (FieldValue field in fields)
        {
            if (!FieldAllowed(target!, field.Field, write: true))
            {
                return MonitorError.InsufficientPermissions;
            }
        }

        foreach (FieldValue field in fields)
        {
            context!.Fields[field.Field] = field.Value;
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

        if (!FieldAllowed(target!, field, write: false))
        {
            return MonitorError.InsufficientPermissions;
        }

        context!.Fields.TryGetValue(field, out value);
        return MonitorError.None;
    }

    internal MonitorError DoReadAllGeneral(DomainState caller, CapabilityHandle management, int core, Span<ulong> destination)
    {
        MonitorError error = ResolveContext(caller, management, core, out CoreContext? context, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        if (destination.Length < CoreContext.GeneralRegisterCount)
        {
            return MonitorError.BufferTooSmall;
        }

        const ulong allGeneral = (1UL << CoreContext.GeneralRegisterCount) - 1;
        if (target!.Sealed && (target.Permissions[(int)PermissionIndex.ManagerReadGeneral] & allGeneral) != allGeneral)
        {
            return MonitorError.InsufficientPermissions;
        }

        context!.GeneralRegisters.CopyTo(destination);
        return MonitorError.None;
    }

    internal MonitorError DoRevokeAliasedRegion(DomainState caller, CapabilityHandle revoke, CapabilityHandle destination, ulong address, ulong size)
    {
        MonitorError error = Resolve(caller, revoke, CapabilityKind.RegionRevoke, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        error = ResolveDestination(caller, destination, out DomainState? target);
        if (error != MonitorError.None)
        {
            return error;
        }

        foreach (RegionNode node in caller.Slots[slot].Region!.SubtreePostOrder())
        {
            if (node.Holder == target && node.MappedAt == address && node.End - node.Start == size)
            {
                var touched = new HashSet<DomainState>();
                RevokeSubtree(node, touched);
                RebuildMaps(touched);
                return MonitorError.None;
            }
        }

        return MonitorError.InvalidRegion;
    }

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

        physical = 0;
        physicalSize = 0;
        return MonitorError.InvalidRegion;
    }

    /// <summary>
    /// SHA-256 over the HASH-flagged regions in enumeration order: start and end (little-endian u64), one byte each for
    /// HASH, EXEC, WRITE, READ, one byte for unique, then the region's bytes.
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
