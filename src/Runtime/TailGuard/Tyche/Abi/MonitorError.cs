namespace TailGuard.Tyche;

/// <summary>
/// The detailed outcome of a monitor call. The engine's errors all travel as status 1 (<see cref="MonitorStatus.Failure"/>)
/// on the wire; the simulated monitor keeps the detail. Values above 63 are TailGuard's (memory access and backend errors),
/// except <see cref="DomainRevoked"/>, which is the driver's number.
/// </summary>
public enum MonitorError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The capability kind cannot be duplicated (only Channel and RegionRevoke can).</summary>
    CannotDuplicate = 1,

    /// <summary>The region is invalid (empty, or unknown to the engine).</summary>
    InvalidRegion = 2,

    /// <summary>The capability cannot be used this way (for example a Region given to SEND).</summary>
    InvalidCapa = 3,

    /// <summary>The capability exists but is of the wrong kind for this argument.</summary>
    WrongCapabilityType = 4,

    /// <summary>No capability at this handle in the caller's table (never existed, consumed, sent away or revoked).</summary>
    CapabilityDoesNotExist = 5,

    /// <summary>The domain is already sealed.</summary>
    AlreadySealed = 6,

    /// <summary>The domain's permissions are frozen (a core context was allocated).</summary>
    AlreadyFrozen = 7,

    /// <summary>The caller lacks the permission (monitor-interface bit, register access, wider rights than the parent).</summary>
    InsufficientPermissions = 8,

    /// <summary>A table is full: 128 capabilities per domain, 32 domains.</summary>
    OutOfMemory = 9,

    /// <summary>The core does not exist, is outside the domain's allowed cores, or does not match the capability.</summary>
    InvalidCore = 10,

    /// <summary>No sealed ancestor allows handling the trap.</summary>
    CouldNotHandleTrap = 11,

    /// <summary>The switch is not possible (no Switch capability for this core, or its context is busy).</summary>
    InvalidSwitch = 12,

    /// <summary>The operation breaks a rule of the region tree or the domain's life cycle.</summary>
    InvalidOperation = 13,

    /// <summary>Invalid memory rights (write or execute without read; extras where none may be given).</summary>
    InvalidMemOps = 14,

    /// <summary>The mapping address range overlaps a mapping the target already has.</summary>
    AlreadyAliased = 15,

    /// <summary>An argument has a value the call cannot use (an unknown context field, a repeat size that is not a multiple of the region's).</summary>
    InvalidValue = 16,

    /// <summary>SEND_REGION was given extra rights that are not extras (read, write, execute or supervisor).</summary>
    InvalidPermissions = 17,

    /// <summary>The domain (or the caller) has been revoked (the driver's monitor error 66).</summary>
    DomainRevoked = 66,

    /// <summary>Simulated memory: the domain holds no right for this access to this range.</summary>
    AccessDenied = 100,

    /// <summary>Simulated memory: the view was taken before a mapping change (revocation) of its domain.</summary>
    StaleMapping = 101,

    /// <summary>Simulated cores: the core is running a switch chain owned by another thread.</summary>
    CoreBusy = 102,

    /// <summary>A buffer argument is too small.</summary>
    BufferTooSmall = 103,

    /// <summary>The backend does not offer this operation (the driver exposes only part of the monitor).</summary>
    NotSupported = 104,

    /// <summary>The driver backend's device or system call failed.</summary>
    DeviceError = 105,
}
