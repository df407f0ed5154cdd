using System;
using System.Collections.Generic;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Tests.Tyche;

/// <summary>Domain code for tests: whatever <see cref="Body"/> says, run each time the domain is switched into.</summary>
internal sealed class ScriptEntry : IDomainEntry
{
    public Func<DomainEntryContext, DomainExit> Body { get; set; } = static _ => DomainExit.Return;

    public int Runs { get; private set; }

    public DomainExit Run(in DomainEntryContext context)
    {
        Runs++;
        return Body(context);
    }
}

internal static class TycheKit
{
    public const ulong Page = 4096;

    public static SimulatedMonitor Monitor(MonitorMode mode, int cores = 2, int memory = 1 << 20, bool hostHandlesTraps = true) =>
        new(new SimulatedMonitorOptions { Mode = mode, CoreCount = cores, MemorySize = memory, HostHandlesTraps = hostHandlesTraps });

    /// <summary>A child of the running domain with every monitor call and core 0-1 allowed, its code set, a context on core 0.</summary>
    public static Child NewChild(SimulatedCore core, bool allocateContext = true, ulong monitorInterface = (ulong)MonitorInterfaceRights.All)
    {
        CapabilityHandle management = core.CreateDomain();
        core.Configure(PermissionIndex.MonitorInterface, management, monitorInterface);
        core.Configure(PermissionIndex.AllowedCores, management, 0b11);
        var script = new ScriptEntry();
        core.SetEntry(management, script);
        CapabilityHandle switchCapability = allocateContext ? core.AllocCoreContext(management, core.Id) : CapabilityHandle.None;
        return new Child(management, switchCapability, script);
    }

    /// <summary>Carves (or aliases) [start, end) of <paramref name="from"/> and sends it to the destination at the same address.</summary>
    public static CapabilityHandle Give(
        SimulatedCore core, CapabilityHandle from, CapabilityHandle destination, ulong start, ulong end,
        MemoryRights rights = MemoryRights.Read | MemoryRights.Write, MemoryRights extras = MemoryRights.None, bool shared = false)
    {
        SegmentResult segment = core.SegmentRegion(from, shared, start, end, rights);
        core.SendRegion(segment.ToSend, destination, start, false, end - start, extras);
        return segment.ToRevoke;
    }

    public static List<CapabilityInfo> Capabilities(SimulatedCore core)
    {
        var all = new List<CapabilityInfo>();
        ulong token = 0;
        do
        {
            token = core.Enumerate(token, out CapabilityInfo info);
            if (info.Kind != CapabilityKind.None)
            {
                all.Add(info);
            }
        }
        while (token != 0);
        return all;
    }

    public static CapabilityInfo Find(SimulatedCore core, CapabilityKind kind, ulong value1 = ulong.MaxValue)
    {
        foreach (CapabilityInfo info in Capabilities(core))
        {
            if (info.Kind == kind && (value1 == ulong.MaxValue || info.Value1 == value1))
            {
                return info;
            }
        }

        throw new InvalidOperationException($"No {kind} capability with value {value1}.");
    }

    /// <summary>Runs <paramref name="body"/> as the child (switching in and back); returns the refreshed child.</summary>
    public static Child RunAs(SimulatedCore core, Child child, Action<SimulatedCore> body)
    {
        child.Script.Body = context =>
        {
            body(context.Core);
            return DomainExit.Return;
        };
        SwitchResult result = core.Switch(child.Switch);
        Assert.Equal(MonitorStatus.Success, result.Status);
        return child with { Switch = result.SwitchBack };
    }

    public static MonitorError ErrorOf(Action action)
    {
        try
        {
            action();
            return MonitorError.None;
        }
        catch (MonitorException exception)
        {
            return exception.Error;
        }
    }

    public static void Fails(MonitorError expected, Action action) => Assert.Equal(expected, ErrorOf(action));

    public static MonitorError ReadError(SimulatedCore core, ulong address, int length = 16) => core.TryRead(address, new byte[length]);

    public static MonitorError WriteError(SimulatedCore core, ulong address, int length = 16) => core.TryWrite(address, new byte[length]);
}

internal sealed record Child(CapabilityHandle Management, CapabilityHandle Switch, ScriptEntry Script);
