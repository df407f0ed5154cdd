using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace TailGuard.Tyche.Driver;

/// <summary>
/// <see cref="ITycheMonitor"/> over the Linux <c>/dev/tyche</c> driver: each domain is one open descriptor (closing it
/// revokes the domain), its memory is mmap'ed from the descriptor, and the other operations are the driver's ioctls
/// (<see cref="DriverAbi"/>). It speaks the <see cref="DriverAbi.TransitionLayout"/> transition argument. Domain code is
/// native code the host places in the domain's memory; there is no <c>SetEntry</c> here.
/// </summary>
public sealed unsafe class DriverMonitor : ITycheMonitor
{
    private readonly string _devicePath;
    private readonly List<Domain?> _domains = new();

    /// <summary>Opens the driver backend; fails at once, naming what is missing, where there is no Tyche driver.</summary>
    /// <param name="devicePath">The device (normally <see cref="DriverAbi.DevicePath"/>).</param>
    public DriverMonitor(string devicePath = DriverAbi.DevicePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(devicePath);
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new MonitorException(
                MonitorError.NotSupported,
                $"The Tyche driver backend needs Linux on x86-64 (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}); use SimulatedMonitor.");
        }

        if (!File.Exists(devicePath))
        {
            throw new MonitorException(
                MonitorError.DeviceError,
                $"{devicePath} does not exist: the Tyche driver (drivers/tyche of linux-kvm-tyche) is not loaded, or this machine does not run under the Tyche monitor. Use SimulatedMonitor instead.");
        }

        int probe = LibC.Open(devicePath, LibC.ReadWrite | LibC.CloseOnExec);
        if (probe < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new MonitorException(MonitorError.DeviceError, $"Cannot open {devicePath} (errno {errno}): check the device's permissions.");
        }

        // Each open creates a domain; the probe's is revoked at once by closing it.
        _ = LibC.Close(probe);
        _devicePath = devicePath;
    }

    /// <inheritdoc/>
    public string BackendName => _devicePath;

    /// <inheritdoc/>
    public int CoreCount => Environment.ProcessorCount;

    /// <inheritdoc/>
    public TrustDomain CreateDomain()
    {
        int fd = LibC.Open(_devicePath, LibC.ReadWrite | LibC.CloseOnExec);
        if (fd < 0)
        {
            throw DeviceFailure("open");
        }

        _domains.Add(new Domain(fd));
        return new TrustDomain(_domains.Count - 1, fd);
    }

    /// <inheritdoc/>
    public ulong MapMemory(TrustDomain domain, ulong size)
    {
        Domain state = Get(domain);
        nint address = LibC.Mmap(0, (nuint)size, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, state.Fd, 0);
        if (address == -1)
        {
            throw DeviceFailure("mmap");
        }

        state.Blocks.Add(((ulong)address, (ulong)address + size));
        return (ulong)address;
    }

    /// <inheritdoc/>
    public void AddSegment(TrustDomain domain, ulong address, ulong size, MemoryRights rights, SegmentType type)
    {
        Domain state = Get(domain);
        var message = new MessageMprotect { Start = address, Size = size, Flags = (uint)rights, SegmentType = (uint)type };
        Call(state, DriverAbi.Mprotect, &message, "MPROTECT");
        state.Segments.Add((address, address + size, type));
    }

    /// <inheritdoc/>
    public void Configure(TrustDomain domain, PermissionIndex index, ulong value)
    {
        var message = new MessageSetPermission { Core = 0, Index = (ulong)index, Value = value };
        Call(Get(domain), DriverAbi.SetDomainConfiguration, &message, "SET_DOMAIN_CONFIGURATION");
    }

    /// <inheritdoc/>
    public void AllocateCoreContext(TrustDomain domain, int core)
    {
        Domain state = Get(domain);
        if (LibC.Ioctl(state.Fd, DriverAbi.AllocContext, (ulong)core) != 0)
        {
            throw DeviceFailure("ALLOC_CONTEXT");
        }
    }

    /// <inheritdoc/>
    public void SetCoreField(TrustDomain domain, int core, ulong field, ulong value)
    {
        var message = new MessageSetPermission { Core = (ulong)core, Index = field, Value = value };
        Call(Get(domain), DriverAbi.SetDomainCoreConfig, &message, "SET_DOMAIN_CORE_CONFIG");
    }

    /// <inheritdoc/>
    public void Commit(TrustDomain domain)
    {
        Domain state = Get(domain);
        Call(state, DriverAbi.Commit, null, "COMMIT");
        state.Committed = true;
    }

    /// <inheritdoc/>
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
            return (int)message.Written;
        }
    }

    /// <inheritdoc/>
    public TransitionResult Transition(TrustDomain domain, int core, uint quantum)
    {
        Domain state = Get(domain);
        var message = new MessageSwitch { Core = (ulong)core, Delta = quantum };
        if (LibC.Ioctl(state.Fd, DriverAbi.Transition, &message) == 0)
        {
            return new TransitionResult(MonitorStatus.Success, ExitReason.Unknown, -1);
        }

        var reason = (ExitReason)message.Error;
        if (reason == ExitReason.Revoked || message.Error == DriverAbi.DomainRevokedError)
        {
            throw new MonitorException(MonitorError.DomainRevoked, "TRANSITION: the domain was revoked.");
        }

        return reason == ExitReason.Unknown
            ? throw DeviceFailure("TRANSITION")
            : new TransitionResult(MonitorStatus.SwitchInterrupted, reason, -1);
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
        Release(state);
        _domains[domain.Id] = null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        for (int index = 0; index < _domains.Count; index++)
        {
            if (_domains[index] is { } state)
            {
                Release(state);
                _domains[index] = null;
            }
        }
    }

    /// <summary>The host may touch mapped memory except committed confidential segments (the monitor would fault it).</summary>
    private ulong CheckHostAccess(ulong address, int length)
    {
        foreach (Domain? state in _domains)
        {
            if (state is null)
            {
                continue;
            }

            foreach ((ulong start, ulong end) in state.Blocks)
            {
                if (address < start || address > end || (ulong)length > end - address)
                {
                    continue;
                }

                foreach ((ulong segmentStart, ulong segmentEnd, SegmentType type) in state.Segments)
                {
                    bool confidential = type is SegmentType.Confidential or SegmentType.ConfidentialRepeat;
                    if (state.Committed && confidential && address < segmentEnd && segmentStart < address + (ulong)length)
                    {
                        throw new MonitorException(MonitorError.AccessDenied, "The range is in a confidential segment of a committed domain.");
                    }
                }

                return address;
            }
        }

        throw new MonitorException(MonitorError.AccessDenied, "The range is not in memory mapped for a domain.");
    }

    private static void Release(Domain state)
    {
        foreach ((ulong start, ulong end) in state.Blocks)
        {
            _ = LibC.Munmap((nint)start, (nuint)(end - start));
        }

        _ = LibC.Close(state.Fd);
    }

    private static void Call(Domain state, uint request, void* argument, string name)
    {
        if (LibC.Ioctl(state.Fd, request, argument) != 0)
        {
            throw DeviceFailure(name);
        }
    }

    private static MonitorException DeviceFailure(string operation) =>
        new(MonitorError.DeviceError, $"{operation} on {DriverAbi.DevicePath} failed (errno {Marshal.GetLastPInvokeError()}).");

    private Domain Get(TrustDomain domain) =>
        (uint)domain.Id < (uint)_domains.Count && _domains[domain.Id] is { } state && state.Fd == domain.Generation
            ? state
            : throw new MonitorException(MonitorError.DomainRevoked, $"Domain {domain.Id} does not exist any more.");

    private sealed class Domain(int fd)
    {
        public int Fd { get; } = fd;

        public bool Committed { get; set; }

        public List<(ulong Start, ulong End)> Blocks { get; } = new();

        public List<(ulong Start, ulong End, SegmentType Type)> Segments { get; } = new();
    }
}
