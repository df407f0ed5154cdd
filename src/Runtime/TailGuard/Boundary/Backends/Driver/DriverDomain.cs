using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Driver;

namespace TailGuard.Boundary;

/// <summary>
/// A domain on the Tyche driver: its mapping, its cores' channels, and the lock that keeps the mapping alive while a
/// call touches it (revocation unmaps it, so it waits for calls in flight to leave the device).
/// </summary>
internal sealed class DriverDomain : ITrustDomainInstance, ISharedRegionAccess
{
    private const int Page = 4096;

    private readonly DriverMonitor _monitor;
    private readonly TrustDomain _domain;
    private readonly DriverCallChannel[] _channels;
    private readonly int[] _cores;
    private readonly byte[] _measurement;
    private readonly ulong _codePhysical;
    private readonly ulong _codeSize;
    private readonly ECDsa _key;
    private readonly ReaderWriterLockSlim _mapping = new(LockRecursionPolicy.NoRecursion);
    private volatile string? _stopReason;
    private int _revoked;

    private DriverDomain(DriverMonitor monitor, TrustDomain domain, int[] cores, BoundaryRegion region, byte[] measurement, ulong codePhysical, ulong codeSize, ECDsa key, Func<DriverDomain, DriverCallChannel[]> channels)
    {
        _monitor = monitor;
        _domain = domain;
        _cores = cores;
        Region = region;
        _measurement = measurement;
        _codePhysical = codePhysical;
        _codeSize = codeSize;
        _key = key;
        _channels = channels(this);
    }

    public TrustDomain Handle => _domain;

    /// <summary>The first core's call region at the host's address; the private scratch at the domain's (physical) address.</summary>
    public BoundaryRegion Region { get; }

    public IReadOnlyList<int> Cores => _cores;

    public IReadOnlyList<BoundaryChannel> Channels => _channels;

    public DriverMonitor Monitor => _monitor;

    /// <summary>Every core's answers, counted by the host from the statuses the domain wrote back.</summary>
    public BoundaryCounters Counters => BoundaryCounters.Sum(_channels.Select(static channel => channel.Counters));

    public string? StopReason => _stopReason;

    /// <summary>Whether the domain can no longer answer.</summary>
    public bool Gone => Volatile.Read(ref _revoked) != 0 || _stopReason is not null;

    /// <summary>
    /// Loads <paramref name="binary"/> into a new domain, in the driver's order: mmap one block; write the code and the
    /// page tables; MPROTECT code, tables, private memory, call regions; configure; a context per core with the entry
    /// loop's registers. The domain is not committed yet.
    /// </summary>
    public static DriverDomain Create(DriverMonitor monitor, DriverDomainBinary binary, BoundaryLayout layout, int firstCore, int coreCount, TimeSpan callTimeout, ECDsa key)
    {
        ulong codeSize = (ulong)binary.CodeSize;
        ulong scratchStride = RoundUp(layout.ScratchSize);
        ulong privateStride = (ulong)binary.StackSize + scratchStride;
        ulong sharedStride = RoundUp(layout.RegionSize);
        ulong privateSize = privateStride * (ulong)coreCount;
        ulong sharedSize = sharedStride * (ulong)coreCount;
        ulong rest = codeSize + privateSize + sharedSize;
        ulong tablesSize = (ulong)DomainPageTables.PagesFor((long)(rest / Page)) * Page;

        TrustDomain domain = monitor.CreateDomain();
        try
        {
            ulong block = monitor.MapMemory(domain, tablesSize + rest);
            ulong code = block;
            ulong tables = code + codeSize;
            ulong privateMemory = tables + tablesSize;
            ulong shared = privateMemory + privateSize;
            ulong physical = monitor.PhysicalAddress(domain, block);
            ulong Physical(ulong host) => physical + (host - block);

            monitor.HostWrite(code, binary.Code.Span);
            monitor.HostWrite(tables, PageTables(Physical(tables), (int)tablesSize, Physical(code), codeSize, Physical(privateMemory), privateSize + sharedSize, out ulong root));

            // Segments in mapping order, every byte covered: the driver carves each from the head of the mapping.
            monitor.AddSegment(domain, code, codeSize, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
            monitor.AddSegment(domain, tables, tablesSize, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
            monitor.AddSegment(domain, privateMemory, privateSize, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
            monitor.AddSegment(domain, shared, sharedSize, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);

            // The entry loop needs no monitor call but SWITCH (not gated); the host may not touch its registers once
            // sealed; it runs on its own cores only. Configuration comes before the first context (the monitor freezes it).
            monitor.Configure(domain, PermissionIndex.MonitorInterface, (ulong)MonitorInterfaceRights.None);
            for (PermissionIndex index = PermissionIndex.ManagerRead16; index <= PermissionIndex.ManagerWriteGeneral; index++)
            {
                monitor.Configure(domain, index, 0);
            }

            var cores = new int[coreCount];
            ulong allowed = 0;
            for (int lane = 0; lane < coreCount; lane++)
            {
                cores[lane] = firstCore + lane;
                allowed |= 1UL << cores[lane];
            }

            monitor.Configure(domain, PermissionIndex.AllowedCores, allowed);
            for (int lane = 0; lane < coreCount; lane++)
            {
                ulong stack = privateMemory + ((ulong)lane * privateStride);
                ulong scratch = stack + (ulong)binary.StackSize;
                ulong region = shared + ((ulong)lane * sharedStride);
                monitor.AllocateCoreContext(domain, cores[lane]);

                // The entry loop's contract (docs/trust-boundary.md): where it starts, its stack and address space, and
                // where this core's call region and scratch are, in the domain's (physical) addresses.
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRip, Physical(code) + (ulong)binary.EntryOffset);
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRsp, Physical(scratch));
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestCr3, root);
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRdi, Physical(region));
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRsi, (ulong)layout.RegionSize);
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRdx, Physical(scratch));
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestRcx, (ulong)layout.ScratchSize);
                monitor.SetCoreField(domain, cores[lane], ContextField.GuestR8, (ulong)lane);
            }

            var first = new BoundaryRegion(shared, layout.RegionSize, Physical(privateMemory + (ulong)binary.StackSize), layout.ScratchSize);
            return new DriverDomain(
                monitor, domain, cores, first, binary.Measurement.ToArray(), Physical(code), codeSize, key,
                owner => Array.ConvertAll(cores, core => new DriverCallChannel(owner, core, shared + ((ulong)(core - firstCore) * sharedStride), layout, callTimeout)));
        }
        catch
        {
            monitor.Destroy(domain);
            throw;
        }
    }

    public void Seal() => _monitor.Commit(_domain);

    /// <summary>
    /// The monitor's capability graph (GET_ATTESTATION) in a report signed by the backend's key. The measurement is the
    /// hash the monitor took of the code segment; the report names the graph's domain that holds that region, and
    /// fails when none does (the monitor does not vouch for the code that was loaded).
    /// </summary>
    public byte[] Attest(ReadOnlySpan<byte> nonce)
    {
        if (nonce.Length is < 1 or > AttestationReport.MaxNonceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(nonce), nonce.Length, $"The nonce is 1 to {AttestationReport.MaxNonceLength} bytes.");
        }

        var buffer = new byte[DriverAbi.MaxAttestationLength];
        int written = _monitor.SerializeAttestation(_domain, buffer);
        if (!CapabilityGraph.TryParse(buffer.AsSpan(0, written), out CapabilityGraph? graph, out string? error) || graph is null)
        {
            throw new MonitorException(MonitorError.DeviceError, "GET_ATTESTATION returned a capability graph that does not parse: " + error);
        }

        int index = HolderOfCode(graph);
        if (index < 0)
        {
            throw new MonitorException(
                MonitorError.InvalidOperation,
                $"The monitor's attestation shows no domain holding the code segment [0x{_codePhysical:X}, 0x{_codePhysical + _codeSize:X}) with the measurement {Convert.ToHexString(_measurement)}: it does not vouch for the code this backend loaded.");
        }

        // The engine's count may run one byte past the graph; the parser ignores bytes after the final end marker.
        return AttestationReport.Create(_domain.Id, _measurement, nonce, index, buffer.AsSpan(0, written), _key);
    }

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/> of the first core's call region (tests play a hostile host with it).</summary>
    public void HostWrite(int offset, ReadOnlySpan<byte> bytes) => _channels[0].HostWrite(offset, bytes);

    public void HostRead(int offset, Span<byte> bytes) => _channels[0].HostRead(offset, bytes);

    public bool Enter() => _channels[0].Enter();

    /// <summary>Stops the domain for good, once, with <paramref name="reason"/>: later calls fail with <see cref="BoundaryRevokedException"/>.</summary>
    public void Stop(string reason) => _stopReason ??= reason;

    /// <summary>Holds the mapping for a step of a call; false when the domain is revoked (the mapping may be gone).</summary>
    public bool TryHoldMapping()
    {
        if (Volatile.Read(ref _revoked) != 0)
        {
            return false;
        }

        _mapping.EnterReadLock();
        if (Volatile.Read(ref _revoked) == 0)
        {
            return true;
        }

        _mapping.ExitReadLock();
        return false;
    }

    public void ReleaseMapping() => _mapping.ExitReadLock();

    /// <summary>Closes the descriptor (the driver revokes the domain) once no call is inside the mapping.</summary>
    public void Revoke()
    {
        if (Interlocked.Exchange(ref _revoked, 1) != 0)
        {
            return;
        }

        _stopReason ??= "The trust domain was revoked by its host.";
        _mapping.EnterWriteLock();
        try
        {
            _monitor.Destroy(_domain);
        }
        catch (MonitorException exception) when (exception.Error == MonitorError.DomainRevoked)
        {
            // The monitor was disposed first: the descriptor is closed already.
        }
        finally
        {
            _mapping.ExitWriteLock();
        }
    }

    public void Dispose() => Revoke();

    private static ulong RoundUp(int size) => ((ulong)Math.Max(size, 1) + Page - 1) / Page * Page;

    private static byte[] PageTables(ulong physical, int size, ulong code, ulong codeSize, ulong data, ulong dataSize, out ulong root)
    {
        var bytes = new byte[size];
        var tables = new DomainPageTables(bytes, physical);
        tables.MapIdentity(code, codeSize, 0); // read-only, executable
        tables.MapIdentity(data, dataSize, DomainPageTables.Writable); // stacks, scratch, call regions
        root = tables.Root;
        return bytes;
    }

    private int HolderOfCode(CapabilityGraph graph)
    {
        foreach (AttestedDomain each in graph.Domains)
        {
            foreach (int region in each.Regions)
            {
                AttestedRegion held = graph.Regions[region];
                if (held.Start == _codePhysical && held.End == _codePhysical + _codeSize && held.Hash.Span.SequenceEqual(_measurement))
                {
                    return each.Index;
                }
            }
        }

        return -1;
    }
}
