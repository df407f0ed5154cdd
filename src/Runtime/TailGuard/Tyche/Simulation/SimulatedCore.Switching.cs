using System;
using System.Threading;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// SWITCH and traps. A switch runs the target's entry on the calling thread (the thread plays this core); the entry
// returning is the target switching back through its return capability. Invariant kept throughout: a context that is
// suspended has exactly one Switch capability to it somewhere, a running context has none, and a context runs on at
// most one core (its own) at a time.
public sealed partial class SimulatedCore
{
    /// <summary>
    /// SWITCH: consumes <paramref name="switchCapability"/>, gives the target one fresh Switch back to the caller, and runs
    /// the target on this core until it switches back (status 0) or traps to the caller (status 2).
    /// </summary>
    /// <param name="switchCapability">A Switch capability for this core.</param>
    /// <param name="quantum">A time quantum; accepted, not enforced (the simulator never preempts).</param>
    /// <returns>The status, the new Switch capability back into the target, and the trap vector if any.</returns>
    public SwitchResult Switch(CapabilityHandle switchCapability, ulong quantum = 0)
    {
        _ = quantum;
        DomainState caller;
        DomainState target;
        CapabilityHandle returnCapability;
        lock (_monitor.Gate)
        {
            caller = Caller("SWITCH");
            Check(SimulatedMonitor.Resolve(caller, switchCapability, CapabilityKind.Switch, out int slot), "SWITCH");
            ref CapabilitySlot entry = ref caller.Slots[slot];
            target = entry.Target!;
            Check(entry.Core != Id ? MonitorError.InvalidCore : MonitorError.None, "SWITCH");
            CoreContext context = target.Contexts[Id]!;
            Check(context.Running || _depth + 1 >= _chain.Length ? MonitorError.InvalidSwitch : MonitorError.None, "SWITCH");
            Check(target.FreeSlots() == 0 ? MonitorError.OutOfMemory : MonitorError.None, "SWITCH");

            SimulatedMonitor.Clear(caller, slot);
            returnCapability = SimulatedMonitor.Install(target, new CapabilitySlot { Kind = CapabilityKind.Switch, Target = caller, Core = Id });
            caller.Contexts[Id]!.Running = false;
            context.Running = true;
            if (_depth == 0)
            {
                Volatile.Write(ref _ownerThread, Environment.CurrentManagedThreadId);
            }

            _chain[++_depth] = target;
        }

        return Run(caller, target, returnCapability);
    }

    private SwitchResult Run(DomainState caller, DomainState target, CapabilityHandle returnCapability)
    {
        MonitorStatus status = MonitorStatus.Success;
        int vector = -1;
        while (true)
        {
            DomainExit exit;
            try
            {
                IDomainEntry? code = target.Entry;
                exit = code is null ? DomainExit.Return : code.Run(new DomainEntryContext(this, status, returnCapability, vector));
            }
            catch (TrapUnwindException unwind)
            {
                // A trap further down is going to an ancestor: the target is suspended where it switched.
                lock (_monitor.Gate)
                {
                    Leave(target, caller);
                    if (unwind.Handler == caller)
                    {
                        DropReturnCapability(target, returnCapability);
                        return new SwitchResult(MonitorStatus.SwitchInterrupted, GiveSwitch(caller, unwind.Trapping), unwind.Vector);
                    }
                }

                throw;
            }
            catch (Exception)
            {
                // The domain's code failed: the core goes back to the caller and the exception to the switcher.
                lock (_monitor.Gate)
                {
                    Leave(target, caller);
                    DropReturnCapability(target, returnCapability);
                }

                throw;
            }

            lock (_monitor.Gate)
            {
                if (target.Revoked)
                {
                    Leave(target, caller);
                    throw new MonitorException(MonitorError.DomainRevoked, "SWITCH: the domain was revoked while it ran.");
                }

                if (exit.IsReturnToManager)
                {
                    if (ReturnToManager(caller, target, returnCapability, out SwitchResult back))
                    {
                        return back;
                    }

                    status = MonitorStatus.Failure; // the call failed: the domain resumes after it with status 1
                    vector = -1;
                    continue;
                }

                if (!exit.IsTrap)
                {
                    return SwitchBack(caller, target, returnCapability);
                }

                DomainState? handler = FindTrapHandler(target, exit.TrapVector);
                if (handler == target)
                {
                    status = MonitorStatus.SwitchInterrupted; // the domain handles its own trap: re-enter it with status 2
                    vector = exit.TrapVector;
                    continue;
                }

                Leave(target, caller);
                if (handler == caller)
                {
                    DropReturnCapability(target, returnCapability);
                    return new SwitchResult(MonitorStatus.SwitchInterrupted, GiveSwitch(caller, target), exit.TrapVector);
                }

                if (handler is not null && IsOnChain(handler))
                {
                    // The caller stays suspended (the target keeps its Switch back to it); frames unwind up to the handler.
                    throw new TrapUnwindException(handler, target, exit.TrapVector);
                }

                DropReturnCapability(target, returnCapability);
                throw new MonitorException(
                    MonitorError.CouldNotHandleTrap,
                    handler is null
                        ? $"Trap {exit.TrapVector}: no sealed ancestor of domain {target.Id} allows handling it."
                        : $"Trap {exit.TrapVector}: its handler, domain {handler.Id}, is not on core {Id}'s switch chain; the simulator delivers traps only along the chain.");
            }
        }
    }

    /// <summary>
    /// RETURN_TO_MANAGER (tyche-devel crates/capability-engine/src/lib.rs, switch_to_manager): consumes the target's Switch
    /// to its manager on this core and resumes the manager as interrupted, with a Switch back into the target. False when
    /// the call fails (no manager, or no such Switch); the target then resumes. Caller holds the gate.
    /// </summary>
    private bool ReturnToManager(DomainState caller, DomainState target, CapabilityHandle returnCapability, out SwitchResult back)
    {
        back = default;
        DomainState? manager = target.Manager;
        if (manager is null)
        {
            return false;
        }

        int slot = SimulatedMonitor.Resolve(target, returnCapability, CapabilityKind.Switch, out int returnSlot) == MonitorError.None
            && target.Slots[returnSlot].Target == manager
                ? returnSlot
                : SimulatedMonitor.FindSlot(target, CapabilityKind.Switch, manager, Id, null);
        if (slot < 0)
        {
            return false;
        }

        SimulatedMonitor.Clear(target, slot);
        Leave(target, caller);
        if (manager == caller)
        {
            DropReturnCapability(target, returnCapability);
            back = new SwitchResult(MonitorStatus.SwitchInterrupted, GiveSwitch(caller, target), -1);
            return true;
        }

        if (IsOnChain(manager))
        {
            throw new TrapUnwindException(manager, target, -1);
        }

        throw new MonitorException(
            MonitorError.CouldNotHandleTrap,
            $"RETURN_TO_MANAGER: domain {target.Id}'s manager, domain {manager.Id}, is not on core {Id}'s switch chain; the simulator switches only along the chain.");
    }

    private SwitchResult SwitchBack(DomainState caller, DomainState target, CapabilityHandle returnCapability)
    {
        MonitorError error = SimulatedMonitor.Resolve(target, returnCapability, CapabilityKind.Switch, out int slot);
        if (error != MonitorError.None || target.Slots[slot].Target != caller)
        {
            Leave(target, caller);
            throw new MonitorException(MonitorError.InvalidSwitch, "SWITCH: the domain returned without its return capability (it sent or revoked it).");
        }

        SimulatedMonitor.Clear(target, slot);
        Leave(target, caller);
        _monitor.Instruments.Switched(target);
        return new SwitchResult(MonitorStatus.Success, GiveSwitch(caller, target), -1);
    }

    private CapabilityHandle GiveSwitch(DomainState holder, DomainState target)
    {
        if (holder.Revoked)
        {
            throw new MonitorException(MonitorError.DomainRevoked, "SWITCH: the calling domain was revoked meanwhile.");
        }

        if (holder.FreeSlots() == 0)
        {
            throw new MonitorException(MonitorError.OutOfMemory, "SWITCH: no free slot for the Switch capability back.");
        }

        return SimulatedMonitor.Install(holder, new CapabilitySlot { Kind = CapabilityKind.Switch, Target = target, Core = Id });
    }

    private static void DropReturnCapability(DomainState target, CapabilityHandle returnCapability)
    {
        if (SimulatedMonitor.Resolve(target, returnCapability, CapabilityKind.Switch, out int slot) == MonitorError.None)
        {
            SimulatedMonitor.Clear(target, slot);
        }
    }

    /// <summary>Pops the target off this core's chain: the caller runs again. Caller holds the gate.</summary>
    private void Leave(DomainState target, DomainState caller)
    {
        _chain[_depth--] = null!;
        if (target.Contexts[Id] is { } targetContext)
        {
            targetContext.Running = false;
        }

        if (caller.Contexts[Id] is { } callerContext)
        {
            callerContext.Running = true;
        }

        if (_depth == 0)
        {
            Volatile.Write(ref _ownerThread, 0);
        }

        _monitor.ReleaseQuarantines(); // memory the target lost while it ran comes back once its code has left
    }

    private bool IsOnChain(DomainState domain)
    {
        for (int index = 0; index < _depth; index++)
        {
            if (_chain[index] == domain)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The nearest sealed domain, from the trapping one up its managers, whose trap bitmaps allow the vector.</summary>
    private static DomainState? FindTrapHandler(DomainState trapping, int vector)
    {
        // Management can be sent around, so the manager chain may loop: a chain longer than the domain limit has.
        int hops = 0;
        for (DomainState? candidate = trapping; candidate is not null && hops++ <= SimulatedMonitor.DomainLimit; candidate = candidate.Manager)
        {
            ulong bitmap = candidate.Permissions[(int)PermissionIndex.AllowedTraps0 + (vector / 64)];
            if (candidate.Sealed && !candidate.Revoked && ((bitmap >> (vector % 64)) & 1) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Carries a trap up through the switch frames between the trapping domain and its handler.</summary>
    private sealed class TrapUnwindException : Exception
    {
        public TrapUnwindException(DomainState handler, DomainState trapping, int vector)
            : base(vector < 0
                ? $"Return of domain {trapping.Id} to its manager, domain {handler.Id}, unwinding."
                : $"Trap {vector} of domain {trapping.Id} unwinding to domain {handler.Id}.")
        {
            Handler = handler;
            Trapping = trapping;
            Vector = vector;
        }

        public DomainState Handler { get; }

        public DomainState Trapping { get; }

        public int Vector { get; }
    }
}
