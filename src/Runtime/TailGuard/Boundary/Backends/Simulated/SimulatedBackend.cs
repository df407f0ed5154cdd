using System;
using System.Globalization;
using System.Text;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// Domains on the simulated Tyche monitor, in the host's process (docs/trust-boundary.md, "Backends"): the monitor
/// enforces the domain's capabilities on every access made through it, so a host that plays by the monitor's rules
/// cannot read the domain's confidential memory; nothing stops code in the process that bypasses the simulator.
/// </summary>
public sealed class SimulatedBackend : ITrustDomainBackend
{
    private const int Page = SimulatedMonitor.PageSize;

    /// <summary>A backend on <paramref name="monitor"/>, which the caller keeps and disposes.</summary>
    /// <param name="monitor">The monitor domains are created on.</param>
    public SimulatedBackend(SimulatedMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        Monitor = monitor;
    }

    /// <summary>A backend that gives each domain a new <see cref="SimulatedMonitor"/> of its own, disposed with the domain.</summary>
    public SimulatedBackend()
    {
    }

    /// <summary>The monitor every domain is created on, or null when each domain gets its own.</summary>
    public SimulatedMonitor? Monitor { get; }

    /// <inheritdoc/>
    public string Name => "simulated";

    /// <inheritdoc/>
    public ITrustDomainInstance CreateDomain<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        bool owned = Monitor is null;
        SimulatedMonitor monitor = Monitor ?? new SimulatedMonitor(new SimulatedMonitorOptions { MeterFactory = options.MeterFactory });
        try
        {
            return Build<TService, TBinding>(image, options, monitor, owned);
        }
        catch
        {
            if (owned)
            {
                monitor.Dispose();
            }

            throw;
        }
    }

    private static SimulatedDomain Build<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options, SimulatedMonitor monitor, bool owned)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        BoundaryLayout layout = TBinding.Layout;
        HostCallsPlan<TService>? plan = image.HostCalls;
        int coreCount = options.CoreCount;
        ulong privateStride = RoundUp(layout.ScratchSize);
        ulong sharedStride = RoundUp(layout.RegionSize);
        ulong privateSize = privateStride * (ulong)Math.Max(coreCount, 1);
        ulong sharedSize = sharedStride * (ulong)Math.Max(coreCount, 1);
        ulong outcallRegionSize = plan is null ? 0 : RoundUp(plan.Layout.RegionSize);

        if (coreCount < 1 || (uint)options.Core >= (uint)monitor.CoreCount || options.Core + coreCount > monitor.CoreCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                $"Core {options.Core}, CoreCount {coreCount}: the domain's cores (at least one) must be among the monitor's {monitor.CoreCount} cores.");
        }

        if (plan is not null && coreCount > 1)
        {
            throw new NotSupportedException("A domain that calls out to the host ([HostCalls]) runs on one core: its out-call region serves one call at a time.");
        }

        var cores = new int[coreCount];
        var regions = new BoundaryRegion[coreCount];
        TrustDomain domain = monitor.CreateDomain(options.NameFor<TService>());
        HostCallChannel? hostCalls = null;
        BoundaryEntry? hostEntry = null;
        try
        {
            ulong block = monitor.MapMemory(domain, privateSize + sharedSize + outcallRegionSize);
            ulong privateAddress = block;
            ulong sharedAddress = privateAddress + privateSize;
            ulong outcallAddress = sharedAddress + sharedSize;

            // Each core its own call region and scratch, page-aligned, one after the other.
            for (int index = 0; index < coreCount; index++)
            {
                cores[index] = options.Core + index;
                regions[index] = new BoundaryRegion(
                    sharedAddress + ((ulong)index * sharedStride), layout.RegionSize, privateAddress + ((ulong)index * privateStride), layout.ScratchSize);
            }

            TService implementation = plan is null
                ? image.Factory!()
                : plan.Start(monitor, outcallAddress, out hostCalls, out hostEntry);
            ArgumentNullException.ThrowIfNull(implementation);
            byte[] code = MeasuredCode(layout.Contract, implementation.GetType().FullName, privateAddress, privateSize, sharedAddress, sharedSize, outcallAddress, outcallRegionSize, cores);
            ulong codeSize = RoundUp(code.Length);
            ulong memory = monitor.MapMemory(domain, codeSize);

            // The "code" is the contract, the implementation's name, its cores and where each region is: the
            // measurement changes when any of them does.
            monitor.HostWrite(memory, code);
            monitor.AddSegment(domain, memory, codeSize, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
            monitor.AddSegment(domain, privateAddress, privateSize, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
            monitor.AddSegment(domain, sharedAddress, sharedSize, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
            if (outcallRegionSize > 0)
            {
                monitor.AddSegment(domain, outcallAddress, outcallRegionSize, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
            }

            // A confidential domain: the host may not read or write its registers once it is sealed.
            for (PermissionIndex index = PermissionIndex.ManagerRead16; index <= PermissionIndex.ManagerWriteGeneral; index++)
            {
                monitor.Configure(domain, index, 0);
            }

            // The domain runs on the cores it is given, a context on each (the engine's per-core contexts): a context
            // for another core fails InvalidCore, and none is added after sealing (the monitor refuses it, as the
            // engine). Each core has its own call region and scratch; the entry refuses a second concurrent entry on one.
            ulong allowed = 0;
            foreach (int core in cores)
            {
                allowed |= 1UL << core;
            }

            monitor.Configure(domain, PermissionIndex.AllowedCores, allowed);
            BoundaryEntry entry = TBinding.CreateEntry(implementation, regions[0]);
            entry.BindToDomain(cores, regions);
            monitor.SetEntry(domain, entry);
            var channels = new DomainCallChannel[coreCount];
            for (int index = 0; index < coreCount; index++)
            {
                monitor.AllocateCoreContext(domain, cores[index]);
                channels[index] = new DomainCallChannel(monitor, domain, cores[index], regions[index].SharedAddress, layout);
            }

            return new SimulatedDomain(monitor, owned, domain, regions[0], cores, entry, channels, hostCalls, hostEntry);
        }
        catch
        {
            hostEntry?.Retire();
            hostCalls?.Dispose();
            monitor.Destroy(domain);
            throw;
        }
    }

    private static ulong RoundUp(int size) => ((ulong)Math.Max(size, 1) + Page - 1) / Page * Page;

    /// <summary>
    /// The bytes measured into the domain (its HASH region): the contract, the implementation's type name, the address
    /// and size of each region and, on several cores, the cores, so a verifier who knows what it expects sees any change
    /// to any of them. A domain on one core measures what it did before domains had several.
    /// </summary>
    private static byte[] MeasuredCode(string contract, string? implementation, ulong privateAddress, ulong privateSize, ulong sharedAddress, ulong sharedSize, ulong outcallAddress, ulong outcallSize, int[] cores)
        => Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{contract}\n{implementation}\nprivate 0x{privateAddress:X} 0x{privateSize:X}\nshared 0x{sharedAddress:X} 0x{sharedSize:X}\nout-calls 0x{(outcallSize == 0 ? 0 : outcallAddress):X} 0x{outcallSize:X}")
            + (cores.Length == 1 ? string.Empty : "\ncores " + string.Join(' ', cores)));
}
