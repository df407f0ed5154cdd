using System;
using System.Collections.Generic;
using System.Threading;

namespace TailGuard.Tyche.Driver;

/// <summary>
/// <see cref="ITycheMonitor"/> over the Linux <c>/dev/tyche</c> driver: each domain is one open descriptor (closing it
/// revokes the domain), its memory is mmap'ed from the descriptor, and the other operations are the driver's ioctls
/// (<see cref="DriverAbi"/>). It speaks the <see cref="DriverAbi.TransitionLayout"/> transition argument. Domain code is
/// native code the host places in the domain's memory; there is no <c>SetEntry</c> here.
/// </summary>
/// <remarks>
/// The driver's rules are checked here first, so a mistake fails with a message rather than the driver's bare errno:
/// segments are recorded in mapping order, contiguously from the start of the first block not yet covered; COMMIT needs
/// every mapped byte in a segment; only Shared and Confidential segments can be committed; core fields need an
/// allocated context; TRANSITION runs on the calling thread pinned to the core (the driver refuses another CPU).
/// The domain sees a segment at its physical address (the driver sends it identity-mapped), not at the host's address.
/// </remarks>
public sealed unsafe class DriverMonitor : ITycheMonitor
{
    private const int Page = 4096;

    private readonly string _devicePath;
    private readonly ITycheDevice _device;
    private readonly Lock _gate = new();
    private readonly List<Domain?> _domains = new();

    /// <summary>Opens the driver backend; fails at once, naming what is missing, where there is no Tyche driver.</summary>
    /// <param name="devicePath">The device (normally <see cref="DriverAbi.DevicePath"/>).</param>
    public DriverMonitor(string devicePath = DriverAbi.DevicePath)
        : this(devicePath, LinuxTycheDevice.ForCurrentPlatform())
    {
    }

    /// <summary>The backend over any device (tests give a fake one).</summary>
    internal DriverMonitor(string devicePath, ITycheDevice device)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        _device = device;
        _devicePath = devicePath;

        // access(2) rather than a probe open: every open of the device creates a domain.
        int errno = device.Access(devicePath, LibC.Exists);
        if (errno != 0)
        {
            throw new MonitorException(
                MonitorError.DeviceError,
                $"{devicePath} does not exist ({Errno.Name(errno)}): the Tyche driver (drivers/tyche of linux-kvm-tyche) is not loaded, or this machine does not run under the Tyche monitor. Use SimulatedMonitor instead.");
        }

        errno = device.Access(devicePath, LibC.ReadAndWriteAccess);
        if (errno != 0)
        {
            throw new MonitorException(MonitorError.DeviceError, $"Cannot open {devicePath} for reading and writing ({Errno.Name(errno)}): check the device's permissions.");
        }
    }

    /// <inheritdoc/>
    public string BackendName => _devicePath;

    /// <inheritdoc/>
    public int CoreCount => Math.Min(Environment.ProcessorCount, 64);

    /// <inheritdoc/>
    /// <remarks>
    /// Opens the device (the driver creates the domain) and configures the interface's defaults, which the driver does
    /// not: every monitor call, every core, all manager register access; traps stay off.
    /// </remarks>
    public TrustDomain CreateDomain()
    {
        int fd = _device.Open(_devicePath, out int errno);
        if (fd < 0)
        {
            throw DeviceFailure("open", errno);
        }

        var state = new Domain(fd);
        try
        {
            SetConfiguration(state, PermissionIndex.MonitorInterface, (ulong)MonitorInterfaceRights.All);
            SetConfiguration(state, PermissionIndex.AllowedCores, CoreCount == 64 ? ulong.MaxValue : (1UL << CoreCount) - 1);
            for (PermissionIndex index = PermissionIndex.ManagerRead16; index <= PermissionIndex.ManagerWriteGeneral; index++)
            {
                SetConfiguration(state, index, ulong.MaxValue);
            }
        }
        catch
        {
            _ = _device.Close(fd);
            throw;
        }

        lock (_gate)
        {
            _domains.Add(state);
            return new TrustDomain(_domains.Count - 1, fd);
        }
    }

    /// <inheritdoc/>
    public ulong MapMemory(TrustDomain domain, ulong size)
    {
        Domain state = Get(domain);
        ulong rounded = (size + Page - 1) / Page * Page;
        if (size == 0 || rounded < size)
        {
            throw new MonitorException(MonitorError.InvalidOperation, $"MapMemory: {size} bytes cannot be mapped.");
        }

        nint address = _device.Map(state.Fd, (nuint)rounded, out int errno);
        if (address == -1 || address == 0)
        {
            throw DeviceFailure("mmap", errno);
        }

        lock (_gate)
        {
            state.Blocks.Add(new Block((ulong)address, rounded));
        }

        return (ulong)address;
    }

    /// <summary>
    /// The physical address of <paramref name="address"/>, a byte of memory mapped for <paramref name="domain"/>
    /// (GET_PHYSOFFSET with the start of its block: the driver's mapping is physically contiguous). The domain sees its
    /// segments at their physical addresses, so its page tables and registers are written in these terms.
    /// </summary>
    internal ulong PhysicalAddress(TrustDomain domain, ulong address)
    {
        Domain state = Get(domain);
        Block block;
        lock (_gate)
        {
            block = state.Blocks.Find(each => address >= each.Start && address - each.Start < each.Size)
                ?? throw new MonitorException(MonitorError.InvalidOperation, $"GET_PHYSOFFSET: 0x{address:X} is not in memory mapped for the domain.");
        }

        var message = new MessageInfo { VirtualAddress = block.Start };
        Call(state, DriverAbi.GetPhysOffset, &message, "GET_PHYSOFFSET");
        if (message.PhysicalOffset % Page != 0 || message.Size < block.Size)
        {
            throw new MonitorException(
                MonitorError.DeviceError,
                $"GET_PHYSOFFSET: the driver reported physical 0x{message.PhysicalOffset:X} and {message.Size} bytes for a block of {block.Size} bytes (expected page-aligned and the whole block).");
        }

        return message.PhysicalOffset + (address - block.Start);
    }

    /// <inheritdoc/>
    public void AddSegment(TrustDomain domain, ulong address, ulong size, MemoryRights rights, SegmentType type)
    {
        Domain state = Get(domain);
        if (type is not (SegmentType.Shared or SegmentType.Confidential))
        {
            throw new MonitorException(
                MonitorError.NotSupported,
                $"MPROTECT: the driver's COMMIT sends only Shared (share_region) and Confidential (grant_region) segments; {type} fails there.");
        }

        if ((rights & ~(MemoryRights.AccessMask | MemoryRights.ExtrasMask)) != 0
            || ((rights & (MemoryRights.Write | MemoryRights.Exec)) != 0 && (rights & MemoryRights.Read) == 0))
        {
            throw new MonitorException(MonitorError.InvalidMemOps, $"MPROTECT: rights {rights} are not valid for a segment (write or execute need read; extras are HASH, CLEANUP, VITAL).");
        }

        Block block;
        lock (_gate)
        {
            if (state.Committed)
            {
                throw new MonitorException(MonitorError.AlreadySealed, "MPROTECT: the domain is committed.");
            }

            block = state.Blocks.Find(static each => each.Covered < each.Size)
                ?? throw new MonitorException(MonitorError.InvalidOperation, "MPROTECT: every mapped byte is already in a segment; map more memory first.");
            ulong expected = block.Start + block.Covered;
            if (address != expected || size == 0 || size % Page != 0 || size > block.Size - block.Covered)
            {
                throw new MonitorException(
                    MonitorError.InvalidOperation,
                    $"MPROTECT: the driver takes segments in mapping order, contiguous and page-sized: the next starts at 0x{expected:X} and fits in {block.Size - block.Covered} bytes; got 0x{address:X}, {size} bytes.");
            }
        }

        var message = new MessageMprotect { Start = address, Size = size, Flags = DriverAbi.MprotectFlags(rights, type), SegmentType = (uint)type };
        Call(state, DriverAbi.Mprotect, &message, "MPROTECT");
        lock (_gate)
        {
            block.Covered += size;
            state.Segments.Add(new Segment(address, address + size, type));
        }
    }

    /// <inheritdoc/>
    public void Configure(TrustDomain domain, PermissionIndex index, ulong value)
    {
        if ((uint)index > (uint)PermissionIndex.ManagerWriteGeneral)
        {
            throw new MonitorException(MonitorError.InvalidOperation, $"SET_DOMAIN_CONFIGURATION: {index} is not a permission index (0-15).");
        }

        SetConfiguration(Get(domain), index, value);
    }

    /// <inheritdoc/>
    public void AllocateCoreContext(TrustDomain domain, int core)
    {
        Domain state = Get(domain);
        if ((uint)core >= 64)
        {
            throw new MonitorException(MonitorError.InvalidCore, $"ALLOC_CONTEXT: core {core} does not exist.");
        }

        if (_device.Control(state.Fd, DriverAbi.AllocContext, (ulong)core, out int errno) != 0)
        {
            throw DeviceFailure("ALLOC_CONTEXT", errno);
        }

        lock (_gate)
        {
            state.Contexts |= 1UL << core;
        }
    }

    /// <inheritdoc/>
    public void SetCoreField(TrustDomain domain, int core, ulong field, ulong value)
    {
        Domain state = Get(domain);
        RequireContext(state, core, "SET_DOMAIN_CORE_CONFIG");
        var message = new MessageSetPermission { Core = (ulong)core, Index = field, Value = value };
        Call(state, DriverAbi.SetDomainCoreConfig, &message, "SET_DOMAIN_CORE_CONFIG");
    }

    /// <inheritdoc/>
    public void Commit(TrustDomain domain)
    {
        Domain state = Get(domain);
        lock (_gate)
        {
            if (state.Blocks.Find(static each => each.Covered < each.Size) is { } uncovered)
            {
                throw new MonitorException(
                    MonitorError.InvalidOperation,
                    $"COMMIT: the driver needs every mapped byte in a segment; [0x{uncovered.Start + uncovered.Covered:X}, 0x{uncovered.Start + uncovered.Size:X}) is in none.");
            }
        }

        Call(state, DriverAbi.Commit, null, "COMMIT");
        lock (_gate)
        {
            state.Committed = true;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The driver writes at most <see cref="DriverAbi.MaxAttestationLength"/> bytes and reports one byte more than the
    /// monitor wrote (the engine's count); the result is clamped to the buffer. The bytes are the engine's format:
    /// parse them with <see cref="Attestation.CapabilityGraph"/>.
    /// </remarks>
    public int SerializeAttestation(TrustDomain domain, Span<byte> destination)
    {
        Domain state = Get(domain);
        fixed (byte* buffer = destination)
        {
            var message = new AttestationBuffer
            {
                Start = (ulong)buffer,
                Size = (ulong)Math.Min(destination.Length, DriverAbi.MaxAttestationLength),
            };
            Call(state, DriverAbi.GetAttestation, &message, "GET_ATTESTATION");
            return (int)Math.Min(message.Written, message.Size);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The calling thread is pinned to <paramref name="core"/> for the call (the driver switches only on the CPU it runs
    /// on) and its CPU mask restored afterwards. A successful call carries the exit reason: none (the domain switched
    /// back), or a fault, exception, interrupt or timer (status 2); a revoked domain throws <see cref="MonitorError.DomainRevoked"/>.
    /// </remarks>
    public TransitionResult Transition(TrustDomain domain, int core, uint quantum)
    {
        Domain state = Get(domain);
        RequireContext(state, core, "TRANSITION");
        ulong[] previous = _device.PinToCore(core, out int pinError)
            ?? throw new MonitorException(MonitorError.DeviceError, $"TRANSITION: cannot run the calling thread on core {core} ({Errno.Name(pinError)}); the driver switches only on the CPU it is called from.");
        var message = new MessageSwitch { Core = (ulong)core, Delta = quantum };
        int result;
        int errno;
        try
        {
            result = _device.Control(state.Fd, DriverAbi.Transition, &message, out errno);
        }
        finally
        {
            _device.RestoreAffinity(previous);
        }

        if (message.Error is (uint)ExitReason.Revoked or DriverAbi.DomainRevokedError)
        {
            throw new MonitorException(MonitorError.DomainRevoked, "TRANSITION: the domain was revoked.");
        }

        if (result != 0)
        {
            throw DeviceFailure("TRANSITION", errno);
        }

        return message.Error switch
        {
            (uint)ExitReason.Unknown => new TransitionResult(MonitorStatus.Success, ExitReason.Unknown, -1),
            <= (uint)ExitReason.Timer => new TransitionResult(MonitorStatus.SwitchInterrupted, (ExitReason)message.Error, -1),
            _ => throw new MonitorException(MonitorError.DeviceError, $"TRANSITION: the driver reported an unknown exit reason {message.Error}."),
        };
    }

    /// <inheritdoc/>
    public void HostRead(ulong address, Span<byte> destination) =>
        new ReadOnlySpan<byte>((void*)CheckHostAccess(address, destination.Length), destination.Length).CopyTo(destination);

    /// <inheritdoc/>
    public void HostWrite(ulong address, ReadOnlySpan<byte> source) =>
        source.CopyTo(new Span<byte>((void*)CheckHostAccess(address, source.Length), source.Length));

    /// <inheritdoc/>
    public void Destroy(TrustDomain domain)
    {
        Domain state = Get(domain);
        lock (_gate)
        {
            _domains[domain.Id] = null;
        }

        Release(state);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        var open = new List<Domain>();
        lock (_gate)
        {
            for (int index = 0; index < _domains.Count; index++)
            {
                if (_domains[index] is { } state)
                {
                    open.Add(state);
                    _domains[index] = null;
                }
            }
        }

        foreach (Domain state in open)
        {
            Release(state);
        }
    }

    /// <summary>The host may touch mapped memory except committed confidential segments (the monitor would fault it).</summary>
    private ulong CheckHostAccess(ulong address, int length)
    {
        lock (_gate)
        {
            foreach (Domain? state in _domains)
            {
                if (state is null)
                {
                    continue;
                }

                foreach (Block block in state.Blocks)
                {
                    ulong end = block.Start + block.Size;
                    if (address < block.Start || address > end || (ulong)length > end - address)
                    {
                        continue;
                    }

                    foreach (Segment segment in state.Segments)
                    {
                        if (state.Committed && segment.Type == SegmentType.Confidential && address < segment.End && segment.Start < address + (ulong)length)
                        {
                            throw new MonitorException(MonitorError.AccessDenied, "The range is in a confidential segment of a committed domain.");
                        }
                    }

                    return address;
                }
            }
        }

        throw new MonitorException(MonitorError.AccessDenied, "The range is not in memory mapped for a domain.");
    }

    private void SetConfiguration(Domain state, PermissionIndex index, ulong value)
    {
        var message = new MessageSetPermission { Core = 0, Index = (ulong)index, Value = value };
        Call(state, DriverAbi.SetDomainConfiguration, &message, "SET_DOMAIN_CONFIGURATION");
    }

    private void RequireContext(Domain state, int core, string operation)
    {
        lock (_gate)
        {
            if ((uint)core >= 64 || (state.Contexts & (1UL << core)) == 0)
            {
                throw new MonitorException(MonitorError.InvalidCore, $"{operation}: the domain has no context on core {core}; call AllocateCoreContext first.");
            }
        }
    }

    /// <summary>Unmaps the domain's memory, then closes its descriptor, which revokes it.</summary>
    private void Release(Domain state)
    {
        foreach (Block block in state.Blocks)
        {
            _ = _device.Unmap((nint)block.Start, (nuint)block.Size);
        }

        _ = _device.Close(state.Fd);
    }

    private void Call(Domain state, uint request, void* argument, string name)
    {
        if (_device.Control(state.Fd, request, argument, out int errno) != 0)
        {
            throw DeviceFailure(name, errno);
        }
    }

    private MonitorException DeviceFailure(string operation, int errno) =>
        new(MonitorError.DeviceError, $"{operation} on {_devicePath} failed ({Errno.Name(errno)}).");

    private Domain Get(TrustDomain domain)
    {
        lock (_gate)
        {
            return (uint)domain.Id < (uint)_domains.Count && _domains[domain.Id] is { } state && state.Fd == domain.Generation
                ? state
                : throw new MonitorException(MonitorError.DomainRevoked, $"Domain {domain.Id} does not exist any more.");
        }
    }

    private sealed class Domain(int fd)
    {
        public int Fd { get; } = fd;

        public bool Committed { get; set; }

        /// <summary>Bit n: a context is allocated on core n.</summary>
        public ulong Contexts { get; set; }

        public List<Block> Blocks { get; } = new();

        public List<Segment> Segments { get; } = new();
    }

    /// <summary>One mmap'ed block and how much of it segments cover so far (from its start).</summary>
    private sealed class Block(ulong start, ulong size)
    {
        public ulong Start { get; } = start;

        public ulong Size { get; } = size;

        public ulong Covered { get; set; }
    }

    private readonly record struct Segment(ulong Start, ulong End, SegmentType Type);
}
