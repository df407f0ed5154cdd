namespace TailGuard.Tyche;

/// <summary>The permission bitmaps CONFIGURE sets, with the monitor's indices.</summary>
public enum PermissionIndex
{
    /// <summary>Which monitor calls the domain may use (<see cref="MonitorInterfaceRights"/>).</summary>
    MonitorInterface = 0,

    /// <summary>Traps 0-63 the domain handles itself.</summary>
    AllowedTraps0 = 1,

    /// <summary>Traps 64-127 the domain handles itself.</summary>
    AllowedTraps1 = 2,

    /// <summary>Traps 128-191 the domain handles itself.</summary>
    AllowedTraps2 = 3,

    /// <summary>Traps 192-255 the domain handles itself.</summary>
    AllowedTraps3 = 4,

    /// <summary>The cores the domain may run on (bit n = core n).</summary>
    AllowedCores = 5,

    /// <summary>Which 16-bit context fields the manager may read after sealing.</summary>
    ManagerRead16 = 6,

    /// <summary>Which 16-bit context fields the manager may write after sealing.</summary>
    ManagerWrite16 = 7,

    /// <summary>Which 32-bit context fields the manager may read after sealing.</summary>
    ManagerRead32 = 8,

    /// <summary>Which 32-bit context fields the manager may write after sealing.</summary>
    ManagerWrite32 = 9,

    /// <summary>Which 64-bit context fields the manager may read after sealing.</summary>
    ManagerRead64 = 10,

    /// <summary>Which 64-bit context fields the manager may write after sealing.</summary>
    ManagerWrite64 = 11,

    /// <summary>Which natural-width context fields the manager may read after sealing.</summary>
    ManagerReadNatural = 12,

    /// <summary>Which natural-width context fields the manager may write after sealing.</summary>
    ManagerWriteNatural = 13,

    /// <summary>Which general-purpose registers the manager may read after sealing.</summary>
    ManagerReadGeneral = 14,

    /// <summary>Which general-purpose registers the manager may write after sealing.</summary>
    ManagerWriteGeneral = 15,
}
