using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>Creates trust domains that serve a <see cref="TrustDomainAttribute"/> interface.</summary>
public static class TrustDomainHost
{
    private const int Page = SimulatedMonitor.PageSize;

    /// <summary>
    /// Creates a domain, loads <paramref name="implementation"/> behind the generated entry, grants it private memory,
    /// shares the call region, allocates its core context, seals it, obtains its attestation report and returns the host
    /// with a proxy. Dispose the host to revoke everything.
    /// </summary>
    /// <typeparam name="TService">The interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation that lives in the domain.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    public static TrustDomainHost<TService> Create<TService, TBinding>(TService implementation, TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        options ??= new TrustDomainHostOptions();
        bool owned = options.Monitor is null;
        SimulatedMonitor monitor = options.Monitor ?? new SimulatedMonitor();
        try
        {
            return Build<TService, TBinding>(_ => implementation, 0, options, monitor, owned);
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

    /// <summary>
    /// As <see cref="Create{TService, TBinding}"/>, for a domain that also calls out to the host through a
    /// <see cref="HostCallsAttribute"/> contract: a second shared region carries those calls, the host serves them with
    /// <paramref name="hostImplementation"/> behind the generated entry, and the domain's implementation is built around
    /// the generated proxy, which validates everything the host returns.
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="THostCalls">The [HostCalls] interface.</typeparam>
    /// <typeparam name="THostBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="createImplementation">Builds the domain's implementation around the proxy to the host.</param>
    /// <param name="hostImplementation">The host's implementation of the out-calls.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <returns>The host.</returns>
    public static TrustDomainHost<TService> Create<TService, TBinding, THostCalls, THostBinding>(
        Func<THostCalls, TService> createImplementation, THostCalls hostImplementation, TrustDomainHostOptions? options = null)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
    {
        ArgumentNullException.ThrowIfNull(createImplementation);
        ArgumentNullException.ThrowIfNull(hostImplementation);
        options ??= new TrustDomainHostOptions();
        bool owned = options.Monitor is null;
        SimulatedMonitor monitor = options.Monitor ?? new SimulatedMonitor();
        HostCallChannel? hostCalls = null;
        BoundaryEntry? hostEntry = null;
        try
        {
            BoundaryLayout outLayout = THostBinding.Layout;
            TrustDomainHost<TService> host = Build<TService, TBinding>(
                outAddress =>
                {
                    hostEntry = THostBinding.CreateEntry(hostImplementation, new BoundaryRegion(outAddress, outLayout.RegionSize, 0, 0));
                    hostEntry.BindToHost();
                    Action<SimulatedMonitor, ulong>? tamper = options.HostCallTamper;
                    BoundaryEntry server = hostEntry;
                    var channel = hostCalls = new HostCallChannel(outLayout, outAddress, () =>
                    {
                        server.ServeHostCall(monitor);
                        tamper?.Invoke(monitor, outAddress); // tests only: a hostile host rewriting its answers (B9)
                    });
                    return createImplementation(THostBinding.CreateProxy(channel));
                },
                outLayout.RegionSize,
                options,
                monitor,
                owned);
            host.HostCalls = hostCalls;
            host.HostEntry = hostEntry;
            return host;
        }
        catch
        {
            hostEntry?.Retire();
            hostCalls?.Dispose();
            if (owned)
            {
                monitor.Dispose();
            }

            throw;
        }
    }

    private static TrustDomainHost<TService> Build<TService, TBinding>(Func<ulong, TService> createImplementation, int outcallSize, TrustDomainHostOptions options, SimulatedMonitor monitor, bool owned)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        BoundaryLayout layout = TBinding.Layout;
        ulong privateSize = RoundUp(layout.ScratchSize);
        ulong sharedSize = RoundUp(layout.RegionSize);
        ulong outcallRegionSize = outcallSize == 0 ? 0 : RoundUp(outcallSize);

        if ((uint)options.Core >= (uint)monitor.CoreCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Core, $"The domain's core must be one of the monitor's {monitor.CoreCount} cores.");
        }

        TrustDomain domain = monitor.CreateDomain();
        try
        {
            ulong block = monitor.MapMemory(domain, privateSize + sharedSize + outcallRegionSize);
            ulong privateAddress = block;
            ulong sharedAddress = privateAddress + privateSize;
            ulong outcallAddress = sharedAddress + sharedSize;
            TService implementation = createImplementation(outcallAddress);
            ArgumentNullException.ThrowIfNull(implementation);
            byte[] code = MeasuredCode(layout.Contract, implementation.GetType().FullName, privateAddress, privateSize, sharedAddress, sharedSize, outcallAddress, outcallRegionSize);
            ulong codeSize = RoundUp(code.Length);
            ulong memory = monitor.MapMemory(domain, codeSize);
            var region = new BoundaryRegion(sharedAddress, layout.RegionSize, privateAddress, layout.ScratchSize);

            // The "code" is the contract, the implementation's name and where each region is: the measurement changes
            // when any of them does.
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

            // The domain runs on the one core it is given: a context for another core fails InvalidCore, and none is
            // added after sealing (the monitor refuses it, as the engine). The entry refuses a second concurrent entry.
            monitor.Configure(domain, PermissionIndex.AllowedCores, 1UL << options.Core);

            BoundaryEntry entry = TBinding.CreateEntry(implementation, region);
            entry.BindToDomain();
            monitor.SetEntry(domain, entry);
            monitor.AllocateCoreContext(domain, options.Core);
            monitor.Commit(domain);

            byte[] nonce = options.Nonce.IsEmpty ? RandomNumberGenerator.GetBytes(32) : options.Nonce.ToArray();
            byte[] encoded = monitor.CreateAttestationReport(domain, nonce);
            if (!AttestationReport.TryParse(encoded, out AttestationReport? report) || report is null)
            {
                throw new InvalidOperationException("The monitor returned an attestation report that does not parse.");
            }

            var channel = new DomainCallChannel(monitor, domain, options.Core, sharedAddress, layout);
            TService proxy = TBinding.CreateProxy(channel);
            return new TrustDomainHost<TService>(monitor, owned, domain, region, options.Core, entry, channel, proxy, report, encoded);
        }
        catch
        {
            monitor.Destroy(domain);
            throw;
        }
    }

    private static ulong RoundUp(int size) => ((ulong)Math.Max(size, 1) + Page - 1) / Page * Page;

    /// <summary>
    /// The bytes measured into the domain (its HASH region): the contract, the implementation's type name, and the
    /// address and size of each region, so a verifier who knows what it expects sees any change to any of them.
    /// </summary>
    private static byte[] MeasuredCode(string contract, string? implementation, ulong privateAddress, ulong privateSize, ulong sharedAddress, ulong sharedSize, ulong outcallAddress, ulong outcallSize)
        => Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{contract}\n{implementation}\nprivate 0x{privateAddress:X} 0x{privateSize:X}\nshared 0x{sharedAddress:X} 0x{sharedSize:X}\nout-calls 0x{(outcallSize == 0 ? 0 : outcallAddress):X} 0x{outcallSize:X}"));
}

/// <summary>
/// A sealed trust domain serving <typeparamref name="TService"/>, and the host's proxy to it. Disposing revokes the
/// domain: it stops, its private memory is zeroed and returned, and the proxy fails with
/// <see cref="BoundaryRevokedException"/> from then on.
/// </summary>
/// <typeparam name="TService">The interface.</typeparam>
public sealed class TrustDomainHost<TService> : IDisposable, IAsyncDisposable
    where TService : class
{
    private readonly bool _ownsMonitor;
    private readonly DomainCallChannel _channel;
    private readonly byte[] _encodedAttestation;
    private bool _disposed;

    internal TrustDomainHost(
        SimulatedMonitor monitor, bool ownsMonitor, TrustDomain domain, BoundaryRegion region, int core, BoundaryEntry entry,
        DomainCallChannel channel, TService proxy, AttestationReport attestation, byte[] encodedAttestation)
    {
        Monitor = monitor;
        _ownsMonitor = ownsMonitor;
        Domain = domain;
        Region = region;
        Core = core;
        Entry = entry;
        _channel = channel;
        Proxy = proxy;
        Attestation = attestation;
        _encodedAttestation = encodedAttestation;
    }

    /// <summary>The generated proxy: call the domain through it.</summary>
    public TService Proxy { get; }

    /// <summary>The attestation report obtained right after sealing (measurement, nonce, signature).</summary>
    public AttestationReport Attestation { get; }

    /// <summary>The encoded attestation report, for a remote verifier.</summary>
    public ReadOnlySpan<byte> EncodedAttestation => _encodedAttestation;

    /// <summary>The monitor the domain lives on.</summary>
    public SimulatedMonitor Monitor { get; }

    /// <summary>The domain.</summary>
    public TrustDomain Domain { get; }

    /// <summary>Where its shared region and private memory are.</summary>
    public BoundaryRegion Region { get; }

    /// <summary>The core it runs on (the only one it may run on: the domain's allowed cores, in its attested configuration).</summary>
    public int Core { get; }

    /// <summary>What the domain has answered so far: calls completed and refused, switches refused because a call was in flight, the last status.</summary>
    public BoundaryCounters Counters => Entry.Counters;

    /// <summary>
    /// Why the domain stopped serving for good (its private memory was taken away, or is no longer a carved, exclusive
    /// region zeroed on revocation at the address it was given), or null while it serves. A stopped domain answers every
    /// call <see cref="CallStatus.Stopped"/>, which the proxy reports as <see cref="BoundaryRevokedException"/>.
    /// </summary>
    public string? StopReason => Entry.StopReason;

    /// <summary>The domain's code. Never handed to the host's code: it runs only inside the domain.</summary>
    internal BoundaryEntry Entry { get; }

    /// <summary>The channel of the domain's calls out to the host, when it has one.</summary>
    internal HostCallChannel? HostCalls { get; set; }

    /// <summary>The host's server of the domain's out-calls, when it has one (retired with the host).</summary>
    internal BoundaryEntry? HostEntry { get; set; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _channel.MarkRevoked();
        HostEntry?.Retire();
        HostCalls?.Dispose();
        try
        {
            Monitor.Destroy(Domain);
        }
        catch (MonitorException exception) when (exception.Error == MonitorError.DomainRevoked)
        {
            // Already revoked (by the test of B10, for instance): nothing is left to revoke.
        }

        if (_ownsMonitor)
        {
            Monitor.Dispose();
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
