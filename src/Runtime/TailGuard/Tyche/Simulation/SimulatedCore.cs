using System;
using System.Threading;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// One simulated core. Monitor calls and memory accesses made through it act as the domain the core is running: the host
/// (domain 0) while idle, the switched-into domain inside an <see cref="IDomainEntry"/>. A thread plays the core for the
/// whole of a switch chain; another thread using the core meanwhile gets <see cref="MonitorError.CoreBusy"/>.
/// Every failing call throws <see cref="MonitorException"/> with the detailed error and leaves the state unchanged.
/// </summary>
public sealed partial class SimulatedCore
{
    private readonly SimulatedMonitor _monitor;
    private readonly DomainState[] _chain = new DomainState[SimulatedMonitor.DomainLimit + 1];
    private int _depth;
    private int _ownerThread;

    internal SimulatedCore(SimulatedMonitor monitor, int id, DomainState root)
    {
        _monitor = monitor;
        Id = id;
        _chain[0] = root;
    }

    /// <summary>The thread playing this core for a switch chain, 0 when the core is idle.</summary>
    internal int OwnerThread => Volatile.Read(ref _ownerThread);

    /// <summary>The core number.</summary>
    public int Id { get; }

    /// <summary>The monitor this core belongs to.</summary>
    public SimulatedMonitor Monitor => _monitor;

    /// <summary>The engine id of the domain this core is running (<see cref="SimulatedMonitor.HostDomainId"/>: the host).</summary>
    public int CurrentDomainId
    {
        get
        {
            lock (_monitor.Gate)
            {
                return _chain[_depth].Id;
            }
        }
    }

    /// <summary>The running domain; checks that the calling thread may use this core. Caller holds the gate.</summary>
    private DomainState Caller(string operation)
    {
        int thread = Environment.CurrentManagedThreadId;
        if (_ownerThread != 0 && _ownerThread != thread)
        {
            throw new MonitorException(MonitorError.CoreBusy, $"{operation}: core {Id} is running a switch chain on another thread.");
        }

        if (_monitor.CorePlayedBy(thread) is { } playing && playing != this)
        {
            throw new MonitorException(MonitorError.CoreBusy, $"{operation}: this thread is playing core {playing.Id}, not core {Id}.");
        }

        DomainState caller = _chain[_depth];
        if (caller.Revoked)
        {
            throw new MonitorException(MonitorError.DomainRevoked, $"{operation}: the calling domain was revoked.");
        }

        return caller;
    }

    /// <summary>CREATE_DOMAIN: creates a child of the running domain.</summary>
    /// <returns>The Management capability of the child.</returns>
    public CapabilityHandle CreateDomain()
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoCreateDomain(Caller("CREATE_DOMAIN"), out CapabilityHandle management), "CREATE_DOMAIN");
            return management;
        }
    }

    /// <summary>SEAL_DOMAIN: seals a child and fixes its measurement.</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <returns>The caller's Switch capability to the child for this core.</returns>
    public CapabilityHandle Seal(CapabilityHandle management)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoSeal(Caller("SEAL_DOMAIN"), Id, management, out CapabilityHandle switchCapability), "SEAL_DOMAIN");
            return switchCapability;
        }
    }

    /// <summary>SEND: moves a non-region capability to the domain a Management or Channel capability names.</summary>
    /// <param name="capability">What to send (gone from the caller afterwards).</param>
    /// <param name="destination">A Management or Channel capability.</param>
    public void Send(CapabilityHandle capability, CapabilityHandle destination)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoSend(Caller("SEND"), capability, destination), "SEND");
        }
    }

    /// <summary>SEGMENT_REGION: derives an alias (<paramref name="shared"/>) or a carve of [start, end) from a region.</summary>
    /// <param name="region">The parent Region capability.</param>
    /// <param name="shared">True for an alias (share), false for a carve (grant).</param>
    /// <param name="start">Start (inclusive).</param>
    /// <param name="end">End (exclusive).</param>
    /// <param name="rights">Access rights only (a subset of the parent's; no extras).</param>
    /// <returns>The region to send and the RegionRevoke to keep.</returns>
    public SegmentResult SegmentRegion(CapabilityHandle region, bool shared, ulong start, ulong end, MemoryRights rights)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoSegment(Caller("SEGMENT_REGION"), region, shared, start, end, rights, out SegmentResult result), "SEGMENT_REGION");
            return result;
        }
    }

    /// <summary>
    /// REVOKE: a RegionRevoke removes its region's subtree; the holder of a derived Region gives it back (its subtree with
    /// it); a Management revokes the domain; Channel and Switch are dropped. Root regions cannot be revoked. In compatible
    /// mode, revoking a slot already emptied by a revocation (and not reused or enumerated since) succeeds doing nothing.
    /// </summary>
    /// <param name="capability">The capability.</param>
    public void Revoke(CapabilityHandle capability)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoRevoke(Caller("REVOKE"), capability), "REVOKE");
        }
    }

    /// <summary>DUPLICATE: copies a Channel or RegionRevoke capability.</summary>
    /// <param name="capability">The capability.</param>
    /// <returns>The copy.</returns>
    public CapabilityHandle Duplicate(CapabilityHandle capability)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoDuplicate(Caller("DUPLICATE"), capability, out CapabilityHandle duplicate), "DUPLICATE");
            return duplicate;
        }
    }

    /// <summary>ENUMERATE: the first capability at or after <paramref name="token"/> in the caller's table.</summary>
    /// <param name="token">0 to start, then the value returned.</param>
    /// <param name="info">The capability (kind <see cref="CapabilityKind.None"/> when there is none).</param>
    /// <returns>The next token; 0 at the end.</returns>
    public ulong Enumerate(ulong token, out CapabilityInfo info)
    {
        lock (_monitor.Gate)
        {
            return SimulatedMonitor.DoEnumerate(Caller("ENUMERATE"), token, out info);
        }
    }

    /// <summary>CONFIGURE: sets a permission bitmap of an unsealed, unfrozen child.</summary>
    /// <param name="index">Which bitmap.</param>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="value">The value.</param>
    public void Configure(PermissionIndex index, CapabilityHandle management, ulong value)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoConfigure(Caller("CONFIGURE"), index, management, value), "CONFIGURE");
        }
    }

    /// <summary>SEND_REGION: moves a region to a domain, mapped at <paramref name="aliasAddress"/>, with extra rights.</summary>
    /// <param name="region">The Region capability (not a root).</param>
    /// <param name="destination">A Management or Channel capability.</param>
    /// <param name="aliasAddress">Where the destination sees the region's start.</param>
    /// <param name="isRepeat">Map the region <paramref name="size"/> / region-size times back to back.</param>
    /// <param name="size">With <paramref name="isRepeat"/>: a non-zero multiple of the region's size; otherwise not used.</param>
    /// <param name="extras">Only <see cref="MemoryRights.Hash"/>, <see cref="MemoryRights.Cleanup"/>, <see cref="MemoryRights.Vital"/>
    /// (and <see cref="MemoryRights.Uncacheable"/>); sending with HASH records the hash of the region's bytes in the attestation.</param>
    public void SendRegion(CapabilityHandle region, CapabilityHandle destination, ulong aliasAddress, bool isRepeat, ulong size, MemoryRights extras)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoSendRegion(Caller("SEND_REGION"), region, destination, aliasAddress, isRepeat, size, extras), "SEND_REGION");
        }
    }

    /// <summary>ALLOC_CORE_CONTEXT: allocates a child's context on a core (freezing its permissions).</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="core">A core in the child's allowed set.</param>
    /// <returns>A Switch capability into that context.</returns>
    public CapabilityHandle AllocCoreContext(CapabilityHandle management, int core)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoAllocCoreContext(Caller("ALLOC_CORE_CONTEXT"), management, core, out CapabilityHandle handle), "ALLOC_CORE_CONTEXT");
            return handle;
        }
    }

    /// <summary>CONFIGURE_CORE: writes a field of a child's context (after sealing, only as its register-access bitmaps allow; <see cref="ContextField"/>).</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="core">The context's core.</param>
    /// <param name="field">The field encoding.</param>
    /// <param name="value">The value.</param>
    public void ConfigureCore(CapabilityHandle management, int core, ulong field, ulong value)
    {
        Span<FieldValue> one = [new FieldValue(field, value)];
        WriteFields(management, core, one);
    }

    /// <summary>
    /// WRITE_FIELDS: writes up to six fields in order; a field number of <see cref="ContextField.EndOfFields"/> ends the
    /// list. In compatible mode, like the engine, the fields before a failing one stay written; in strict mode all or none.
    /// </summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="core">The context's core.</param>
    /// <param name="fields">The fields and values.</param>
    public void WriteFields(CapabilityHandle management, int core, ReadOnlySpan<FieldValue> fields)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoWriteFields(Caller("WRITE_FIELDS"), management, core, fields), "WRITE_FIELDS");
        }
    }

    /// <summary>GET_CONFIG_CORE: reads a field of a child's context (after sealing, only as its register-access bitmaps allow).</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="core">The context's core.</param>
    /// <param name="field">The field encoding.</param>
    /// <returns>The value (0 if never written).</returns>
    public ulong GetConfigCore(CapabilityHandle management, int core, ulong field)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoGetConfigCore(Caller("GET_CONFIG_CORE"), management, core, field, out ulong value), "GET_CONFIG_CORE");
            return value;
        }
    }

    /// <summary>READ_ALL_GP: reads the 15 general-purpose registers RAX to R15 (in <see cref="ContextField"/> order) of a child's context.</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="core">The context's core.</param>
    /// <param name="destination">At least 15 values.</param>
    public void ReadAllGeneralRegisters(CapabilityHandle management, int core, Span<ulong> destination)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoReadAllGeneral(Caller("READ_ALL_GP"), management, core, destination), "READ_ALL_GP");
        }
    }

    /// <summary>
    /// REVOKE_ALIASED_REGION: unmaps [address, address + size) from the target and REVOKEs <paramref name="revoke"/>, as the
    /// engine does; the mapping goes with the revoked region (the simulator derives mappings from capabilities).
    /// </summary>
    /// <param name="revoke">The capability to revoke (normally the RegionRevoke of the region sent to the target).</param>
    /// <param name="target">A Management or Channel capability to the domain holding the alias.</param>
    /// <param name="address">Where the target maps it.</param>
    /// <param name="size">Its size.</param>
    public void RevokeAliasedRegion(CapabilityHandle revoke, CapabilityHandle target, ulong address, ulong size)
    {
        lock (_monitor.Gate)
        {
            Check(_monitor.DoRevokeAliasedRegion(Caller("REVOKE_ALIASED_REGION"), revoke, target, address, size), "REVOKE_ALIASED_REGION");
        }
    }

    /// <summary>GET_HPA: translates an address of the running domain into a physical address (an address it does not map is reported identity-mapped, like the engine).</summary>
    /// <param name="address">The domain's address.</param>
    /// <param name="size">The size asked about.</param>
    /// <param name="physicalSize">How much of it is contiguous from there.</param>
    /// <returns>The physical address.</returns>
    public ulong GetHpa(ulong address, ulong size, out ulong physicalSize)
    {
        lock (_monitor.Gate)
        {
            Check(SimulatedMonitor.DoGetHpa(Caller("GET_HPA"), address, size, out ulong physical, out physicalSize), "GET_HPA");
            return physical;
        }
    }

    /// <summary>SERIALIZE_ATTESTATION into a managed buffer (a simulator convenience): the whole capability graph in the engine's format (<see cref="Attestation.CapabilityGraph"/>).</summary>
    /// <param name="destination">The buffer.</param>
    /// <returns>The bytes written.</returns>
    public int SerializeAttestation(Span<byte> destination)
    {
        lock (_monitor.Gate)
        {
            _ = Caller("SERIALIZE_ATTESTATION");
            if (_monitor.DoSerialize(destination, out int written) == MonitorError.BufferTooSmall)
            {
                throw new MonitorException(MonitorError.BufferTooSmall, $"SERIALIZE_ATTESTATION needs {written} bytes; the buffer has {destination.Length}.");
            }

            return written;
        }
    }

    /// <summary>
    /// SERIALIZE_ATTESTATION as the monitor call: the buffer is in the calling domain's memory and must lie in one
    /// writable mapping (otherwise <see cref="MonitorError.InsufficientPermissions"/>, as the engine's <c>find_buff</c>).
    /// </summary>
    /// <param name="address">The buffer's address in the calling domain.</param>
    /// <param name="length">Its length.</param>
    /// <returns>The bytes written.</returns>
    public int SerializeAttestation(ulong address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        DomainState caller = RunningForAccess();
        MonitorError viewError = _monitor.TakeView(caller, address, length, MemoryRights.Write, out _);
        Check(viewError == MonitorError.AccessDenied ? MonitorError.InsufficientPermissions : viewError, "SERIALIZE_ATTESTATION");
        var graph = new byte[length];
        int written = SerializeAttestation(graph);
        Check(_monitor.Access(caller, address, default, graph.AsSpan(0, written), isWrite: true), "SERIALIZE_ATTESTATION");
        return written;
    }

    /// <summary>DEBUG: hands a value to the monitor's log (<see cref="SimulatedMonitor.DebugCalled"/>); nothing else changes.</summary>
    /// <param name="value">The value.</param>
    public void Debug(ulong value)
    {
        int domain;
        lock (_monitor.Gate)
        {
            domain = Caller("DEBUG").Id;
        }

        _monitor.RaiseDebugCalled(new DebugCallEventArgs(domain, Id, value));
    }

    /// <summary>
    /// SET_CPUID_ENTRY (x86-64): installs what CPUID answers for <paramref name="function"/> in the target's context on this
    /// core. At most 50 entries per context; the same function and index replace an entry.
    /// </summary>
    /// <param name="target">A Management or Channel capability to the domain.</param>
    /// <param name="function">EAX on entry.</param>
    /// <param name="index">ECX on entry.</param>
    /// <param name="indexSignificant">Whether the entry answers only <paramref name="index"/> (otherwise every sub-leaf).</param>
    /// <param name="result">The answer.</param>
    public void SetCpuidEntry(CapabilityHandle target, uint function, uint index, bool indexSignificant, CpuidResult result)
    {
        lock (_monitor.Gate)
        {
            var entry = new CpuidEntry(function, index, indexSignificant ? 1u : 0u, result);
            Check(SimulatedMonitor.DoSetCpuidEntry(Caller("SET_CPUID_ENTRY"), Id, target, entry), "SET_CPUID_ENTRY");
        }
    }

    /// <summary>
    /// What the CPUID instruction gives the running domain, as the monitor decides it: the host and domains with the
    /// CPUID monitor-interface bit get the processor's answer; others get an entry their manager installed. Without one
    /// the real monitor switches the core to the manager: this returns false, and the domain's entry should then return
    /// <see cref="DomainExit.ReturnToManager"/>.
    /// </summary>
    /// <param name="function">EAX.</param>
    /// <param name="index">ECX.</param>
    /// <param name="result">The answer.</param>
    /// <returns>Whether the domain got an answer.</returns>
    public bool TryCpuid(uint function, uint index, out CpuidResult result)
    {
        result = default;
        lock (_monitor.Gate)
        {
            DomainState domain = Caller("CPUID");
            if (domain.Id != SimulatedMonitor.HostDomainId)
            {
                // x86_64/platform.rs, the CPUID exit: the host answers directly; others from their manager's entries first.
                if (domain.Contexts[Id] is { } context)
                {
                    foreach (CpuidEntry entry in context.CpuidEntries)
                    {
                        if (entry.Function == function && ((entry.Flags & 1) == 0 || entry.Index == index))
                        {
                            result = entry.Result;
                            return true;
                        }
                    }
                }

                if ((domain.Permissions[(int)PermissionIndex.MonitorInterface] & (ulong)MonitorInterfaceRights.Cpuid) == 0)
                {
                    return false;
                }
            }
        }

        if (System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            (int eax, int ebx, int ecx, int edx) = System.Runtime.Intrinsics.X86.X86Base.CpuId((int)function, (int)index);
            result = new CpuidResult((uint)eax, (uint)ebx, (uint)ecx, (uint)edx);
        }

        return true;
    }

    /// <summary>The measurement fixed when a child was sealed (simulator inspection; the signed report carries it too).</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <returns>The 32-byte SHA-256 measurement.</returns>
    public byte[] GetMeasurement(CapabilityHandle management)
    {
        lock (_monitor.Gate)
        {
            DomainState caller = Caller("measurement");
            Check(SimulatedMonitor.Resolve(caller, management, CapabilityKind.Management, out int slot), "measurement");
            byte[]? measurement = caller.Slots[slot].Target!.Measurement;
            return measurement is null
                ? throw new MonitorException(MonitorError.InvalidOperation, "The domain is not sealed: it has no measurement yet.")
                : (byte[])measurement.Clone();
        }
    }

    /// <summary>Loads a child's code (simulator only): the entry that runs whenever the child is switched into. Before sealing only.</summary>
    /// <param name="management">The child's Management capability.</param>
    /// <param name="entry">The code.</param>
    public void SetEntry(CapabilityHandle management, IDomainEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_monitor.Gate)
        {
            DomainState caller = Caller("set entry");
            Check(SimulatedMonitor.Resolve(caller, management, CapabilityKind.Management, out int slot), "set entry");
            DomainState target = caller.Slots[slot].Target!;
            Check(target.Sealed ? MonitorError.AlreadySealed : MonitorError.None, "set entry");
            target.Entry = entry;
        }
    }

    /// <summary>Reads the running domain's memory at its own addresses; throws <see cref="MonitorError.AccessDenied"/> without the read right.</summary>
    /// <param name="address">The address.</param>
    /// <param name="destination">Where the bytes go.</param>
    public void Read(ulong address, Span<byte> destination) => Check(TryRead(address, destination), "read");

    /// <summary>Writes the running domain's memory; throws <see cref="MonitorError.AccessDenied"/> without the write right.</summary>
    /// <param name="address">The address.</param>
    /// <param name="source">The bytes.</param>
    public void Write(ulong address, ReadOnlySpan<byte> source) => Check(TryWrite(address, source), "write");

    /// <summary>Reads without throwing: <see cref="MonitorError.None"/>, or why nothing was read.</summary>
    /// <param name="address">The address.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>The outcome.</returns>
    public MonitorError TryRead(ulong address, Span<byte> destination)
    {
        DomainState domain = RunningForAccess();
        return _monitor.Access(domain, address, destination, default, isWrite: false);
    }

    /// <summary>Writes without throwing: <see cref="MonitorError.None"/>, or why nothing was written.</summary>
    /// <param name="address">The address.</param>
    /// <param name="source">The bytes.</param>
    /// <returns>The outcome.</returns>
    public MonitorError TryWrite(ulong address, ReadOnlySpan<byte> source)
    {
        DomainState domain = RunningForAccess();
        return _monitor.Access(domain, address, default, source, isWrite: true);
    }

    /// <summary>
    /// Checks rights once and returns a view tied to the running domain's mapping generation. Only domain code takes
    /// views: the host (an idle core) is refused with <see cref="MonitorError.NotSupported"/>, because a span it kept
    /// would outlive the memory being granted away; the host reads and writes through checked copies instead.
    /// </summary>
    /// <param name="address">The address.</param>
    /// <param name="length">The length; the range must lie in one mapping.</param>
    /// <param name="access"><see cref="MemoryRights.Read"/>, <see cref="MemoryRights.Write"/> or both.</param>
    /// <returns>The view.</returns>
    public MemoryView GetView(ulong address, int length, MemoryRights access)
    {
        DomainState domain = RunningForAccess();
        MonitorError error = _monitor.TakeView(domain, address, length, access, out MemoryView view);
        if (error == MonitorError.NotSupported)
        {
            throw new MonitorException(error, "The host takes no views of simulated memory (a span it kept could not be revoked): use HostRead/HostWrite or Read/Write, which check every access.");
        }

        Check(error, "view");
        return view;
    }

    /// <summary>Whether this core is running <paramref name="domain"/> now (the top of its chain); read by the thread playing it.</summary>
    internal bool Runs(DomainState domain) => _depth > 0 && _chain[_depth] == domain;

    /// <summary>Whether <paramref name="domain"/> is on this core's switch chain above the host (running, or waiting in a nested switch). Caller holds the gate.</summary>
    internal bool Carries(DomainState domain)
    {
        for (int index = 1; index <= _depth; index++)
        {
            if (_chain[index] == domain)
            {
                return true;
            }
        }

        return false;
    }

    private DomainState RunningForAccess()
    {
        lock (_monitor.Gate)
        {
            int thread = Environment.CurrentManagedThreadId;
            if ((_ownerThread != 0 && _ownerThread != thread) || (_monitor.CorePlayedBy(thread) is { } playing && playing != this))
            {
                throw new MonitorException(MonitorError.CoreBusy, $"Core {Id} is played by another thread.");
            }

            return _chain[_depth];
        }
    }

    private static void Check(MonitorError error, string operation)
    {
        if (error != MonitorError.None)
        {
            throw SimulatedMonitor.Fail(error, operation);
        }
    }
}
