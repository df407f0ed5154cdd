using System;
using System.Security.Cryptography;
using System.Threading;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

/// <summary>
/// A second implementation of Tyche's capability engine, in process: up to 32 domains with 128-slot capability tables,
/// region derivation trees with effective-access tracking, core contexts, sealing and measurement, switches and traps,
/// and simulated physical memory whose every access is checked against the accessing domain's rights. It checks rights
/// in software: it is a faithful model for development and tests, not hardware isolation.
/// </summary>
/// <remarks>
/// The boot state is the engine's: the host (domain id 1, the initial domain) starts sealed, with every permission,
/// running on every core, holding the root region over all of physical memory and the Management capability of the
/// I/O domain (id 2, unsealed, without permissions), which the platform creates at boot. Domain ids come from a counter
/// and are never reused. <see cref="GetCore"/> gives the cores through which domains make monitor calls; the
/// <see cref="ITycheMonitor"/> members act as the host. All engine state is guarded by one lock; domain code
/// (<see cref="IDomainEntry"/>) runs outside it. docs/tyche.md lists where the simulator deliberately differs from the
/// engine and why.
/// </remarks>
public sealed partial class SimulatedMonitor : ITycheMonitor
{
    /// <summary>The engine's domain limit.</summary>
    public const int DomainLimit = 32;

    /// <summary>The capability slots of each domain.</summary>
    public const int CapabilityLimit = DomainState.CapabilityLimit;

    /// <summary>The page size the host API aligns to.</summary>
    public const int PageSize = 4096;

    private readonly Lock _gate = new();
    private readonly DomainState?[] _domains = new DomainState?[DomainLimit];
    private readonly byte[] _memory;
    private readonly SimulatedCore[] _cores;
    private readonly ECDsa _signingKey;
    private readonly bool _ownsSigningKey;
    private readonly DomainState _root;
    private readonly RegionNode _rootRegion;
    private int _lastDomainId;

    /// <summary>Where this monitor's switches and revocations are counted.</summary>
    internal MonitorInstruments Instruments { get; }

    /// <summary>Creates a monitor with the default options (compatible mode, 4 cores, 16 MiB).</summary>
    public SimulatedMonitor()
        : this(new SimulatedMonitorOptions())
    {
    }

    /// <summary>Creates a monitor.</summary>
    /// <param name="options">Mode, cores, memory size, signing key and meter factory.</param>
    public SimulatedMonitor(SimulatedMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CoreCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.CoreCount, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MemorySize, PageSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MemorySize, 1 << 30);
        if (options.MemorySize % PageSize != 0)
        {
            throw new ArgumentException("The memory size must be a multiple of 4 KiB.", nameof(options));
        }

        Mode = options.Mode;
        Instruments = MonitorInstruments.For(options.MeterFactory);
        _memory = new byte[options.MemorySize];
        _cores = new SimulatedCore[options.CoreCount];
        _ownsSigningKey = options.SigningKey is null;
        _signingKey = options.SigningKey ?? ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // The initial domain's permissions are the engine's (lib.rs, create_manager_domain): every monitor call, every
        // core, every trap (unless the options say otherwise); no manager, so no register-access bitmaps.
        _root = new DomainState(0, NextDomainId(), null, options.CoreCount) { Sealed = true, Frozen = true };
        _root.Permissions[(int)PermissionIndex.MonitorInterface] = (ulong)MonitorInterfaceRights.All;
        _root.Permissions[(int)PermissionIndex.AllowedCores] = ulong.MaxValue;
        if (options.HostHandlesTraps)
        {
            _root.Permissions.AsSpan((int)PermissionIndex.AllowedTraps0, 4).Fill(ulong.MaxValue);
        }

        for (int core = 0; core < options.CoreCount; core++)
        {
            _root.Contexts[core] = new CoreContext { Running = true };
            _cores[core] = new SimulatedCore(this, core, _root);
        }

        _rootRegion = new RegionNode(0, (ulong)options.MemorySize, MemoryRights.AccessMask, RegionKind.Root, null, 0) { Holder = _root };
        Install(_root, new CapabilitySlot { Kind = CapabilityKind.Region, Region = _rootRegion });
        _root.Measurement = new byte[32];
        _domains[0] = _root;
        RebuildMap(_root);

        // The platform's I/O domain: created by the initial domain at boot, unsealed, with no permissions
        // (tyche-devel monitor/tyche/src/monitor.rs, do_init; crates/capability-engine/src/lib.rs, create_io_domain).
        MonitorErrors.ThrowIfFailed(DoCreateDomain(_root, out _), "boot (I/O domain)");
    }

    /// <summary>Compatible or strict.</summary>
    public MonitorMode Mode { get; }

    /// <inheritdoc/>
    public string BackendName => "simulated";

    /// <inheritdoc/>
    public int CoreCount => _cores.Length;

    /// <summary>The size of simulated physical memory.</summary>
    public int MemorySize => _memory.Length;

    /// <summary>The engine id of the host, the initial domain.</summary>
    public const int HostDomainId = 1;

    /// <summary>The engine id of the I/O domain the platform creates at boot (its Management capability is the host's second slot).</summary>
    public const int IoDomainId = 2;

    /// <summary>The host's root region capability: all of physical memory, never revocable.</summary>
    public static CapabilityHandle RootRegion => new(0, 0);

    /// <summary>How many domains exist, the host and the I/O domain included.</summary>
    public int DomainCount
    {
        get
        {
            lock (_gate)
            {
                int count = 0;
                foreach (DomainState? domain in _domains)
                {
                    count += domain is null ? 0 : 1;
                }

                return count;
            }
        }
    }

    internal Lock Gate => _gate;

    internal byte[] Memory => _memory;

    internal DomainState Root => _root;

    /// <summary>The live domain in this pool slot, if any (tests act as any domain through it).</summary>
    internal DomainState? DomainAt(int index) => (uint)index < DomainLimit ? _domains[index] : null;

    /// <summary>The next domain id: a counter, never reused (tyche-devel crates/capability-engine/src/lib.rs, domain_id).</summary>
    private int NextDomainId() => ++_lastDomainId;

    /// <summary>A simulated core. Monitor calls and memory accesses made through it act as the domain it is running.</summary>
    /// <param name="core">The core number.</param>
    /// <returns>The core.</returns>
    public SimulatedCore GetCore(int core)
    {
        if ((uint)core >= (uint)_cores.Length)
        {
            throw new MonitorException(MonitorError.InvalidCore, $"Core {core} does not exist (the simulator has {_cores.Length}).");
        }

        return _cores[core];
    }

    /// <summary>Raised for every DEBUG monitor call, on the calling thread, outside the engine's lock.</summary>
    public event EventHandler<DebugCallEventArgs>? DebugCalled;

    internal void RaiseDebugCalled(DebugCallEventArgs call) => DebugCalled?.Invoke(this, call);

    /// <summary>The monitor's attestation public key (SubjectPublicKeyInfo, DER), for <see cref="Attestation.AttestationVerifier"/>.</summary>
    /// <returns>The key.</returns>
    public byte[] ExportPublicKey() => _signingKey.ExportSubjectPublicKeyInfo();

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsSigningKey)
        {
            _signingKey.Dispose();
        }
    }

    /// <summary>The core the thread is playing for a switch chain (so it runs domain code), if any.</summary>
    internal SimulatedCore? CorePlayedBy(int thread)
    {
        foreach (SimulatedCore core in _cores)
        {
            if (core.OwnerThread == thread)
            {
                return core;
            }
        }

        return null;
    }

    internal static MonitorException Fail(MonitorError error, string operation) => new(error, $"{operation} failed.");

    // ---- capability table helpers (callers hold the gate) ----

    internal static MonitorError Resolve(DomainState domain, CapabilityHandle handle, out int slot)
    {
        slot = handle.Slot;
        if ((uint)slot >= DomainState.CapabilityLimit)
        {
            return MonitorError.CapabilityDoesNotExist;
        }

        ref CapabilitySlot entry = ref domain.Slots[slot];
        return entry.Kind == CapabilityKind.None || entry.Version != handle.Version
            ? MonitorError.CapabilityDoesNotExist
            : MonitorError.None;
    }

    internal static MonitorError Resolve(DomainState domain, CapabilityHandle handle, CapabilityKind kind, out int slot)
    {
        MonitorError error = Resolve(domain, handle, out slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        return domain.Slots[slot].Kind == kind ? MonitorError.None : MonitorError.WrongCapabilityType;
    }

    /// <summary>Resolves a destination for SEND and SEND_REGION: a Management or Channel capability.</summary>
    internal static MonitorError ResolveDestination(DomainState domain, CapabilityHandle handle, out DomainState? target)
    {
        target = null;
        MonitorError error = Resolve(domain, handle, out int slot);
        if (error != MonitorError.None)
        {
            return error;
        }

        ref CapabilitySlot entry = ref domain.Slots[slot];
        if (entry.Kind is not (CapabilityKind.Management or CapabilityKind.Channel))
        {
            return MonitorError.WrongCapabilityType;
        }

        target = entry.Target;
        return target is null || target.Revoked ? MonitorError.DomainRevoked : MonitorError.None;
    }

    internal static CapabilityHandle Install(DomainState domain, CapabilitySlot value)
    {
        CapabilitySlot[] slots = domain.Slots;
        for (int index = 0; index < slots.Length; index++)
        {
            if (slots[index].Kind == CapabilityKind.None)
            {
                value.Version = slots[index].Version;
                slots[index] = value;
                return new CapabilityHandle(index, value.Version);
            }
        }

        throw new InvalidOperationException("Install called on a full table: callers check free slots first.");
    }

    /// <summary>Empties a slot; <paramref name="tombstone"/> marks it as left by a revocation (see <see cref="CapabilitySlot.Tombstone"/>).</summary>
    internal static void Clear(DomainState domain, int slot, bool tombstone = false)
    {
        ushort next = (ushort)(domain.Slots[slot].Version + 1);
        domain.Slots[slot] = default;
        domain.Slots[slot].Version = next;
        domain.Slots[slot].Tombstone = tombstone;
    }

    /// <summary>Whether <paramref name="handle"/> names a slot emptied by a revocation and not reused or collected since.</summary>
    internal static bool IsTombstone(DomainState domain, CapabilityHandle handle) =>
        (uint)handle.Slot < DomainState.CapabilityLimit
        && domain.Slots[handle.Slot] is { Kind: CapabilityKind.None, Tombstone: true } slot
        && slot.Version == (ushort)(handle.Version + 1);

    internal static int FindSlot(DomainState domain, CapabilityKind kind, DomainState? target, int core, RegionNode? region)
    {
        CapabilitySlot[] slots = domain.Slots;
        for (int index = 0; index < slots.Length; index++)
        {
            ref CapabilitySlot entry = ref slots[index];
            if (entry.Kind == kind && entry.Target == target && entry.Region == region && (kind != CapabilityKind.Switch || entry.Core == core))
            {
                return index;
            }
        }

        return -1;
    }

    internal bool Allows(DomainState caller, MonitorInterfaceRights call) =>
        Mode == MonitorMode.Compatible || (caller.Permissions[(int)PermissionIndex.MonitorInterface] & (ulong)call) == (ulong)call;
}
