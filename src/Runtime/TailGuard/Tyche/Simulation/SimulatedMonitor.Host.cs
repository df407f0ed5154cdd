using System;
using System.Collections.Generic;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// The host's API (ITycheMonitor), built from the same monitor calls the host (domain 0) could make itself, the way
// the C SDK and the driver use them: create, map, record segments, configure, allocate contexts, commit, transition.
public sealed partial class SimulatedMonitor
{
    private readonly Dictionary<int, HostDomain> _hostDomains = new();
    private ulong _nextFree = PageSize; // page 0 stays unused so that address 0 never names domain memory

    /// <inheritdoc/>
    public TrustDomain CreateDomain() => CreateDomain(name: null);

    /// <summary>
    /// <see cref="CreateDomain()"/> for a trust domain host: <paramref name="name"/> is the domain's name in the host's
    /// measurements, and the monitor's own measurements of the domain carry it too (<c>tailguard.domain</c>).
    /// </summary>
    internal TrustDomain CreateDomain(string? name)
    {
        EnsureHostCode();
        lock (_gate)
        {
            MonitorErrors.ThrowIfFailed(DoCreateDomain(_root, out CapabilityHandle management), "CREATE_DOMAIN");
            DomainState child = _root.Slots[management.Slot].Target!;
            child.NameTag = name is null ? null : MonitorInstruments.NameTag(name);

            // The C SDK's defaults: every monitor call, every core, no traps, full manager register access.
            child.Permissions[(int)PermissionIndex.MonitorInterface] = (ulong)MonitorInterfaceRights.All;
            child.Permissions[(int)PermissionIndex.AllowedCores] = _cores.Length == 64 ? ulong.MaxValue : (1UL << _cores.Length) - 1;
            for (int index = (int)PermissionIndex.ManagerRead16; index <= (int)PermissionIndex.ManagerWriteGeneral; index++)
            {
                child.Permissions[index] = ulong.MaxValue;
            }

            _hostDomains[child.Id] = new HostDomain(child, management, _cores.Length);
            return new TrustDomain(child.Id, 0); // engine ids are never reused
        }
    }

    /// <summary>Loads the domain's code (simulator only): the entry that runs whenever the domain is switched into. Before sealing.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="entry">Its code.</param>
    public void SetEntry(TrustDomain domain, IDomainEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            HostDomain host = Host(domain);
            MonitorErrors.ThrowIfFailed(host.State.Sealed ? MonitorError.AlreadySealed : MonitorError.None, "set entry");
            host.State.Entry = entry;
        }
    }

    /// <summary>The Management capability the host holds for the domain (for raw calls on <see cref="GetCore"/> as the host).</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>The handle in the host's table.</returns>
    public CapabilityHandle GetManagement(TrustDomain domain)
    {
        lock (_gate)
        {
            return Host(domain).Management;
        }
    }

    /// <summary>The measurement fixed when the domain was committed.</summary>
    /// <param name="domain">The domain.</param>
    /// <returns>32 bytes of SHA-256.</returns>
    public byte[] GetMeasurement(TrustDomain domain)
    {
        lock (_gate)
        {
            byte[]? measurement = Host(domain).State.Measurement;
            return measurement is null
                ? throw new MonitorException(MonitorError.InvalidOperation, "The domain is not sealed: it has no measurement yet.")
                : (byte[])measurement.Clone();
        }
    }

    /// <inheritdoc/>
    public ulong MapMemory(TrustDomain domain, ulong size)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            ulong rounded = (size + PageSize - 1) / PageSize * PageSize;
            if (size == 0 || rounded < size || rounded > (ulong)_memory.Length - _nextFree)
            {
                throw new MonitorException(MonitorError.OutOfMemory, $"MapMemory: {size} bytes do not fit in simulated memory ({_memory.Length} bytes).");
            }

            ulong address = _nextFree;
            _nextFree += rounded;
            host.Blocks.Add((address, address + rounded));
            return address;
        }
    }

    /// <inheritdoc/>
    public void AddSegment(TrustDomain domain, ulong address, ulong size, MemoryRights rights, SegmentType type)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            bool inside = false;
            foreach ((ulong start, ulong end) in host.Blocks)
            {
                inside |= address >= start && size <= end - start && address - start <= end - start - size;
            }

            if (!inside || size == 0 || address % PageSize != 0 || size % PageSize != 0)
            {
                throw new MonitorException(MonitorError.InvalidOperation, "AddSegment: the segment must be page-aligned and inside memory mapped for this domain.");
            }

            if (type is not (SegmentType.Shared or SegmentType.Confidential))
            {
                // The driver's COMMIT sends MPROTECT segments with share_region or grant_region and rejects the other types.
                throw new MonitorException(MonitorError.NotSupported, $"AddSegment: {type} segments cannot be committed through the driver; use Shared or Confidential.");
            }

            host.Segments.Add(new PendingSegment(address, size, rights, type));
        }
    }

    /// <inheritdoc/>
    public void Configure(TrustDomain domain, PermissionIndex index, ulong value)
    {
        lock (_gate)
        {
            MonitorErrors.ThrowIfFailed(DoConfigure(_root, index, Host(domain).Management, value), "CONFIGURE");
        }
    }

    /// <inheritdoc/>
    public void AllocateCoreContext(TrustDomain domain, int core)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            MonitorErrors.ThrowIfFailed(DoAllocCoreContext(_root, host.Management, core, out CapabilityHandle handle), "ALLOC_CORE_CONTEXT");
            host.SwitchByCore[core] = handle;
        }
    }

    /// <inheritdoc/>
    public void SetCoreField(TrustDomain domain, int core, ulong field, ulong value)
    {
        lock (_gate)
        {
            ReadOnlySpan<FieldValue> one = [new FieldValue(field, value)];
            MonitorErrors.ThrowIfFailed(DoWriteFields(_root, Host(domain).Management, core, one), "CONFIGURE_CORE");
        }
    }

    /// <inheritdoc/>
    public void Commit(TrustDomain domain)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            MonitorErrors.ThrowIfFailed(host.State.Sealed ? MonitorError.AlreadySealed : MonitorError.None, "COMMIT");
            foreach (PendingSegment segment in host.Segments)
            {
                bool shared = segment.Type == SegmentType.Shared;
                MonitorErrors.ThrowIfFailed(
                    DoSegment(_root, RootRegion, shared, segment.Address, segment.Address + segment.Size, segment.Rights & MemoryRights.AccessMask, out SegmentResult result),
                    "COMMIT (segment)");
                MonitorErrors.ThrowIfFailed(
                    DoSendRegion(_root, result.ToSend, host.Management, segment.Address, false, segment.Size, segment.Rights & MemoryRights.ExtrasMask),
                    "COMMIT (send region)");
                host.Revokes.Add((segment.Address, result.ToRevoke));
            }

            host.Segments.Clear();
            int core = Array.FindIndex(host.SwitchByCore, static handle => !handle.IsNone);
            MonitorErrors.ThrowIfFailed(DoSeal(_root, Math.Max(core, 0), host.Management, out _), "COMMIT (seal)");
        }
    }

    /// <inheritdoc/>
    public int SerializeAttestation(TrustDomain domain, Span<byte> destination)
    {
        lock (_gate)
        {
            _ = Host(domain);
            if (DoSerialize(destination, out int written) == MonitorError.BufferTooSmall)
            {
                throw new MonitorException(MonitorError.BufferTooSmall, $"SERIALIZE_ATTESTATION needs {written} bytes; the buffer has {destination.Length}.");
            }
            return written;
        }
    }

    /// <inheritdoc/>
    public TransitionResult Transition(TrustDomain domain, int core, uint quantum)
    {
        CapabilityHandle handle;
        HostDomain host;
        lock (_gate)
        {
            host = Host(domain);
            if ((uint)core >= (uint)_cores.Length || host.SwitchByCore[core].IsNone)
            {
                throw new MonitorException(MonitorError.InvalidCore, $"Transition: the domain has no context the host can switch to on core {core}.");
            }

            handle = host.SwitchByCore[core];
        }

        SimulatedCore simulated = _cores[core];
        if (simulated.CurrentDomainId != HostDomainId)
        {
            throw new MonitorException(MonitorError.CoreBusy, $"Transition: core {core} is running another domain.");
        }

        SwitchResult result;
        try
        {
            result = simulated.Switch(handle, quantum);
        }
        catch (MonitorException exception) when (exception.Error is MonitorError.DomainRevoked or MonitorError.CouldNotHandleTrap or MonitorError.InvalidSwitch)
        {
            host.SwitchByCore[core] = CapabilityHandle.None; // the way back in is gone with the failed transition
            throw;
        }

        host.SwitchByCore[core] = result.SwitchBack;
        // Status 2 with a vector is a trap the host handles; without one, the domain returned to its manager.
        return new TransitionResult(result.Status, result.TrapVector >= 0 ? ExitReason.Exception : ExitReason.Unknown, result.TrapVector);
    }

    /// <inheritdoc/>
    public void HostRead(ulong address, Span<byte> destination)
    {
        EnsureHostCode();
        MonitorErrors.ThrowIfFailed(Access(_root, address, destination, default, isWrite: false), "host read");
    }

    /// <inheritdoc/>
    public void HostWrite(ulong address, ReadOnlySpan<byte> source)
    {
        EnsureHostCode();
        MonitorErrors.ThrowIfFailed(Access(_root, address, default, source, isWrite: true), "host write");
    }

    /// <summary>Domain code must act through its core; using the host's API from inside an entry would act as the host.</summary>
    private void EnsureHostCode()
    {
        if (CorePlayedBy(Environment.CurrentManagedThreadId) is not null)
        {
            throw new MonitorException(MonitorError.CoreBusy, "The host API was called from domain code: use the entry's core instead.");
        }
    }

    /// <summary>
    /// Revokes one committed segment (simulator only; the driver has no such call): the host takes the region back, as an
    /// adversarial host may at any moment, even while the domain runs. CLEANUP segments are zeroed first.
    /// </summary>
    /// <param name="domain">The domain.</param>
    /// <param name="address">The segment's start, as given to <see cref="AddSegment"/>.</param>
    public void RevokeSegment(TrustDomain domain, ulong address)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            int index = host.Revokes.FindIndex(entry => entry.Address == address);
            if (index < 0)
            {
                throw new MonitorException(MonitorError.InvalidRegion, $"RevokeSegment: no committed segment starts at 0x{address:X}.");
            }

            MonitorErrors.ThrowIfFailed(DoRevoke(_root, host.Revokes[index].Revoke), "REVOKE");
            host.Revokes.RemoveAt(index);
        }
    }

    /// <inheritdoc/>
    public void Destroy(TrustDomain domain)
    {
        lock (_gate)
        {
            HostDomain host = Host(domain);
            MonitorErrors.ThrowIfFailed(DoRevoke(_root, host.Management), "REVOKE");
            _hostDomains.Remove(domain.Id);
        }
    }

    private HostDomain Host(TrustDomain domain)
    {
        EnsureHostCode();
        if (_hostDomains.TryGetValue(domain.Id, out HostDomain? host) && !host.State.Revoked)
        {
            return host;
        }

        throw new MonitorException(MonitorError.DomainRevoked, $"Domain {domain.Id} does not exist (any more).");
    }

    private sealed class HostDomain(DomainState state, CapabilityHandle management, int cores)
    {
        public DomainState State { get; } = state;

        public CapabilityHandle Management { get; } = management;

        public CapabilityHandle[] SwitchByCore { get; } = CreateNone(cores);

        public List<(ulong Start, ulong End)> Blocks { get; } = new();

        public List<PendingSegment> Segments { get; } = new();

        public List<(ulong Address, CapabilityHandle Revoke)> Revokes { get; } = new();

        private static CapabilityHandle[] CreateNone(int cores)
        {
            var handles = new CapabilityHandle[cores];
            Array.Fill(handles, CapabilityHandle.None);
            return handles;
        }
    }

    private readonly record struct PendingSegment(ulong Address, ulong Size, MemoryRights Rights, SegmentType Type);
}
