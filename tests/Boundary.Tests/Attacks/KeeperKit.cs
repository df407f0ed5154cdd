using System;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// A sealed domain serving <see cref="Keeper"/> on a small simulated monitor, and what a hostile host does with it:
/// raw monitor calls on a core nobody calls on, and a scan of every byte the host can read.
/// </summary>
internal sealed class KeeperKit : IDisposable
{
    public const int MemorySize = 1 << 20;
    public const int AttackerCore = 3;

    public KeeperKit()
    {
        Monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4, MemorySize = MemorySize });
        Host = KeeperBoundary.Host(Keeper, new TrustDomainHostOptions { Monitor = Monitor });
    }

    public Keeper Keeper { get; } = new();

    public SimulatedMonitor Monitor { get; }

    public TrustDomainHost<IKeeper> Host { get; }

    public IKeeper Proxy => Host.Proxy;

    /// <summary>The host acting through raw monitor calls, on a core the proxy does not use.</summary>
    public SimulatedCore Attacker => Monitor.GetCore(AttackerCore);

    public ulong PrivateAddress => Host.Region.PrivateAddress;

    /// <summary>The private region's size as the host mapped it (whole pages).</summary>
    public ulong PrivateSize => ((ulong)Host.Region.PrivateSize + SimulatedMonitor.PageSize - 1) / SimulatedMonitor.PageSize * SimulatedMonitor.PageSize;

    /// <summary>Whether <see cref="Keeper.Secret"/> appears anywhere the host can read (page by page, unreadable pages skipped).</summary>
    public bool HostCanSeeSecret() => HostVisible.Contains(Monitor, Keeper.Secret);

    public void Dispose()
    {
        Host.Dispose();
        Monitor.Dispose();
    }
}

/// <summary>Everything the host can read of simulated memory, searched for a pattern.</summary>
internal static class HostVisible
{
    public static bool Contains(SimulatedMonitor monitor, ReadOnlySpan<byte> pattern) => Find(monitor, pattern) >= 0;

    /// <summary>Where the pattern starts in what the host can read (a physical address), or -1.</summary>
    public static long Find(SimulatedMonitor monitor, ReadOnlySpan<byte> pattern)
    {
        byte[] image = new byte[monitor.MemorySize];
        for (int page = 0; page < image.Length; page += SimulatedMonitor.PageSize)
        {
            try
            {
                monitor.HostRead((ulong)page, image.AsSpan(page, SimulatedMonitor.PageSize));
            }
            catch (MonitorException exception) when (exception.Error == MonitorError.AccessDenied)
            {
                image.AsSpan(page, SimulatedMonitor.PageSize).Clear(); // not the host's to read
            }
        }

        return image.AsSpan().IndexOf(pattern);
    }
}
