using System;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 3: the host takes a view of its own memory before the domain exists and keeps the span; the memory is then
/// granted to the domain as its private region. Reads and writes through the old span must not reach the domain's
/// private memory (HostRead of the same address is refused; the span must be no better).
/// </summary>
public sealed unsafe class StaleHostViewTests
{
    [Fact]
    public void Attack3_a_span_the_host_took_before_the_domain_existed_never_reads_its_key()
    {
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4, MemorySize = KeeperKit.MemorySize });
        const int Length = 64 * 1024;
        ulong start = SimulatedMonitor.PageSize; // where the next domain's memory will be mapped
        MemoryView view;
        try
        {
            view = monitor.GetCore(2).GetView(start, Length, MemoryRights.Read | MemoryRights.Write);
        }
        catch (MonitorException refused)
        {
            // The defence: the host holds no raw view of simulated memory; its accesses are checked copies.
            Assert.Equal(MonitorError.NotSupported, refused.Error);
            return;
        }

        Span<byte> stale = view.Span;
        fixed (byte* pointer = stale)
        {
            var keeper = new Keeper();
            using TrustDomainHost<IKeeper> host = KeeperBoundary.Host(keeper, new TrustDomainHostOptions { Monitor = monitor });
            Assert.InRange(host.Region.PrivateAddress, start, start + Length - 1);
            var address = (IntPtr)pointer;
            bool seen = false;
            keeper.WhileKeyed = () => HostThread.Run(() => seen |= new ReadOnlySpan<byte>((void*)address, Length).IndexOf(Keeper.Secret) >= 0);
            byte[] tag = new byte[32];
            try
            {
                host.Proxy.Tag("message"u8, tag);
            }
            catch (BoundaryRevokedException)
            {
                // refused: fine
            }

            Assert.False(seen, "a stale host span read the domain's key");
        }
    }
}
