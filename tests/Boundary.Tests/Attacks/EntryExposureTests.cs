using System;
using System.Buffers.Binary;
using System.Linq;
using System.Reflection;
using System.Threading;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 6: the domain's entry on the host's public surface. The host could call the entry's host-call path itself
/// and run the domain's implementation on memory of its choosing, without the monitor, even after disposing the host;
/// and, since "serving from a copy" was per object, doing so concurrently switched off the revocation check of an
/// in-flight domain call.
/// </summary>
public sealed class EntryExposureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Attack6_the_host_api_hands_out_no_entry_and_no_way_to_run_the_implementation_outside_the_monitor()
    {
        Type host = typeof(TrustDomainHost<IProbe>);
        Assert.DoesNotContain(host.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static), p => typeof(BoundaryEntry).IsAssignableFrom(p.PropertyType));
        Assert.DoesNotContain(host.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static), m => typeof(BoundaryEntry).IsAssignableFrom(m.ReturnType));
        Assert.DoesNotContain(
            typeof(BoundaryEntry).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static),
            m => m.GetParameters().Any(p => p.ParameterType == typeof(SimulatedMonitor)));
    }

    [Fact]
    public void Attack6_the_domains_entry_never_runs_its_implementation_from_host_memory_even_after_the_host_is_disposed()
    {
        var probe = new Probe();
        var monitor = new SimulatedMonitor();
        TrustDomainHost<IProbe> host = ProbeBoundary.Host(probe, new TrustDomainHostOptions { Monitor = monitor });
        BoundaryEntry entry = host.Entry;
        ulong shared = host.Region.SharedAddress;
        host.Dispose();

        // The host writes a Ping frame where the entry expects its shared region (now plain host memory) and asks the
        // entry to serve it as a host call.
        byte[] frame = new byte[ProbeBoundary.Layout.FrameSize];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, ProbeKit.Ping);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        monitor.HostWrite(shared, frame);
        try
        {
            entry.ServeHostCall(monitor);
        }
        catch (InvalidOperationException)
        {
            // refused: fine
        }

        Assert.Equal(0, probe.Calls);
        monitor.Dispose();
    }

    [Fact]
    public void Attack6_serving_a_host_copy_concurrently_never_switches_off_the_revocation_check_of_an_in_flight_call()
    {
        using var kit = new ProbeKit();
        CapabilityHandle revoke = SharedRegionRevoke(kit);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var other = new SimulatedMonitor();
        byte[] frame = new byte[ProbeBoundary.Layout.RegionSize];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, ProbeKit.Inspect);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(ProbeBoundary.M4_data), (uint)kit.DataStart); // an empty, valid input
        other.HostWrite(kit.Host.Region.SharedAddress, frame);
        Thread? server = null;
        kit.Probe.DuringCall = () =>
        {
            kit.Probe.DuringCall = null;
            kit.Probe.DuringInspect = () =>
            {
                inside.Set();
                release.Wait(Patience);
            };
            server = new Thread(() =>
            {
                try
                {
                    kit.Host.Entry.ServeHostCall(other); // the host serving "its own" copy through the domain's entry
                }
                catch (InvalidOperationException)
                {
                    // refused: fine
                }
                finally
                {
                    inside.Set();
                }
            });
            server.Start();
            Assert.True(inside.Wait(Patience));
            HostThread.Run(() => kit.Monitor.GetCore(3).Revoke(revoke));
        };

        byte[] destination = new byte[16];
        try
        {
            kit.Proxy.Fill(0x5A, 16, destination);
        }
        catch (BoundaryRevokedException)
        {
            // refused: fine
        }
        finally
        {
            release.Set();
            Assert.True(server!.Join(Patience));
        }

        // Nothing of the call's output was written into the region after the domain lost it.
        byte[] region = new byte[kit.Layout.RegionSize];
        kit.Monitor.HostRead(kit.Host.Region.SharedAddress, region);
        Assert.True(region.AsSpan(kit.DataStart, 16).IndexOfAnyExcept((byte)0) < 0, "the in-flight call wrote its output after its region was revoked");
    }

    private static CapabilityHandle SharedRegionRevoke(ProbeKit kit)
    {
        ulong token = 0;
        do
        {
            token = kit.Monitor.GetCore(3).Enumerate(token, out CapabilityInfo info);
            if (info.Kind == CapabilityKind.RegionRevoke && info.Value1 == kit.Host.Region.SharedAddress)
            {
                return info.Handle;
            }
        }
        while (token != 0);

        throw new InvalidOperationException("The host holds no revoke capability for the shared region.");
    }
}
