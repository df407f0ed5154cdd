using System;
using BenchmarkDotNet.Attributes;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Benchmarks.Tyche;

/// <summary>
/// The simulated monitor's costs that a trust-boundary call pays: a SWITCH round trip (into a domain and back), the
/// same through the host API with a 64-byte frame copied in and a result copied out under rights checks, and a 4 KiB
/// grant (carve + send) followed by its revocation.
/// </summary>
[MemoryDiagnoser]
public class MonitorBenchmarks : IDisposable
{
    private const ulong Page = 4096;
    private const ulong GrantAt = 0x100000;

    private SimulatedMonitor _monitor = null!;
    private SimulatedCore _core = null!;
    private CapabilityHandle _switch;
    private CapabilityHandle _child;
    private TrustDomain _hosted;
    private ulong _shared;
    private readonly byte[] _frame = new byte[64];
    private readonly byte[] _result = new byte[8];

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new SimulatedMonitor(new SimulatedMonitorOptions { MemorySize = 4 << 20 });
        _core = _monitor.GetCore(0);

        _child = _core.CreateDomain();
        _core.Configure(PermissionIndex.AllowedCores, _child, 1);
        _core.SetEntry(_child, new EmptyEntry());
        _switch = _core.AllocCoreContext(_child, 0);

        _hosted = _monitor.CreateDomain();
        ulong memory = _monitor.MapMemory(_hosted, 2 * Page);
        _shared = memory + Page;
        _monitor.AddSegment(_hosted, memory, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Confidential);
        _monitor.AddSegment(_hosted, _shared, Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        _monitor.SetEntry(_hosted, new CopyingEntry(_shared, memory));
        _monitor.AllocateCoreContext(_hosted, 0);
        _monitor.Commit(_hosted);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _monitor?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "SWITCH round trip (raw, empty domain)")]
    public void SwitchRoundTrip() => _switch = _core.Switch(_switch).SwitchBack;

    [Benchmark(Description = "host call: 64 B frame in, switch, 8 B result out")]
    public void HostCallRoundTrip()
    {
        _monitor.HostWrite(_shared, _frame);
        _monitor.Transition(_hosted, 0, 0);
        _monitor.HostRead(_shared + 64, _result);
    }

    [Benchmark(Description = "grant 4 KiB (carve + send) and revoke")]
    public void GrantAndRevoke4KiB()
    {
        SegmentResult grant = _core.SegmentRegion(SimulatedMonitor.RootRegion, false, GrantAt, GrantAt + Page, MemoryRights.Read | MemoryRights.Write);
        _core.SendRegion(grant.ToSend, _child, GrantAt, false, Page, MemoryRights.None);
        _core.Revoke(grant.ToRevoke);
    }

    private sealed class EmptyEntry : IDomainEntry
    {
        public DomainExit Run(in DomainEntryContext context) => DomainExit.Return;
    }

    private sealed class CopyingEntry(ulong shared, ulong privatePage) : IDomainEntry
    {
        private readonly byte[] _copy = new byte[64];

        public DomainExit Run(in DomainEntryContext context)
        {
            context.Core.Read(shared, _copy);
            context.Core.Write(privatePage, _copy);
            context.Core.Write(shared + 64, _copy.AsSpan(0, 8));
            return DomainExit.Return;
        }
    }
}
