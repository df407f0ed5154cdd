using System;

namespace TailGuard.Tyche;

/// <summary>The bits of permission index 0 (<see cref="PermissionIndex.MonitorInterface"/>): which monitor calls a domain may use.</summary>
[Flags]
public enum MonitorInterfaceRights : ulong
{
    /// <summary>No monitor call.</summary>
    None = 0,

    /// <summary>CREATE_DOMAIN.</summary>
    Spawn = 1,

    /// <summary>SEND and SEND_REGION.</summary>
    Send = 2,

    /// <summary>DUPLICATE.</summary>
    Duplicate = 4,

    /// <summary>SEGMENT_REGION as an alias (share).</summary>
    Alias = 8,

    /// <summary>SEGMENT_REGION as a carve (grant).</summary>
    Carve = 16,

    /// <summary>SET_CPUID_ENTRY.</summary>
    Cpuid = 32,

    /// <summary>Every monitor-interface bit.</summary>
    All = Spawn | Send | Duplicate | Alias | Carve | Cpuid,
}
