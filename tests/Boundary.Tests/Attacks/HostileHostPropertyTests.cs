using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using Xunit.Abstractions;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// The property of issue 21: a host making random capability operations (revoke, carve, alias, send at the domains'
/// own addresses, add cores, take views, scan memory) while calls run on several threads never sees the domains'
/// 32-byte secret in anything it can read (its memory, results, statuses, exception messages), and every call either
/// returns the right result or is refused. Bounded for CI (a few seconds); a longer campaign sets
/// TAILGUARD_PROPERTY_SEEDS and TAILGUARD_PROPERTY_OPERATIONS (tests/Boundary.Tests/run-property.sh).
/// </summary>
public sealed class HostileHostPropertyTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 12;
    private const int DefaultOperations = 60;
    private const int MemorySize = 1 << 20;
    private const int Page = SimulatedMonitor.PageSize;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly string SecretText = Encoding.ASCII.GetString(Keeper.Secret);
    private static readonly string SecretHex = Convert.ToHexString(Keeper.Secret);

    [Fact]
    public void The_secret_never_reaches_the_host_and_every_call_is_right_or_refused()
    {
        int seeds = Setting("TAILGUARD_PROPERTY_SEEDS", DefaultSeeds);
        int operations = Setting("TAILGUARD_PROPERTY_OPERATIONS", DefaultOperations);
        int firstSeed = Setting("TAILGUARD_PROPERTY_FIRST_SEED", 1);
        var totals = new Totals();
        var watch = Stopwatch.StartNew();
        for (int seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            Run(seed, operations, totals);
        }

        output.WriteLine(
            $"{seeds} seeds x {operations} host operations in {watch.Elapsed.TotalSeconds:F1} s: {totals.Operations} operations ({totals.Succeeded} took effect), "
            + $"{totals.Calls} calls ({totals.Right} right, {totals.Refused} refused, {totals.Busy} found the proxy busy), {totals.Scans} scans of host-readable memory, "
            + $"{totals.Stopped} domains stopped for good");

        // The campaign did what it claims: capability operations took effect, calls ran and some were refused.
        Assert.True(totals.Succeeded > seeds * 5, "too few host operations took effect: " + totals.Succeeded);
        Assert.True(totals.Right > 0 && totals.Refused > 0, $"calls: {totals.Right} right, {totals.Refused} refused");
    }

    private static void Run(int seed, int operations, Totals totals)
    {
        var random = new Random(seed);
        using var monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = 4, MemorySize = MemorySize });
        var first = new Keeper();
        var second = new Keeper();
        using TrustDomainHost<IKeeper> one = KeeperBoundary.Host(first, new TrustDomainHostOptions { Monitor = monitor, Core = 0 });
        using TrustDomainHost<IKeeper> two = KeeperBoundary.Host(second, new TrustDomainHostOptions { Monitor = monitor, Core = 1 });
        var attacker = new Attacker(monitor, [one, two], random, seed);
        var failures = new ConcurrentQueue<string>();

        // The host also acts from inside calls (from another host thread, as a second core would): an operation on the
        // called domain just before the key lands in its private memory, then a scan of everything the host can read
        // while the key is there.
        Inside(first, one, attacker, failures);
        Inside(second, two, attacker, failures);
        using var done = new CancellationTokenSource();

        Thread[] callers =
        [
            Caller(one, seed * 10 + 1, failures, totals, done.Token),
            Caller(two, seed * 10 + 2, failures, totals, done.Token),
            Caller(one, seed * 10 + 3, failures, totals, done.Token), // contends with the first: refused while it calls
        ];
        foreach (Thread caller in callers)
        {
            caller.Start();
        }

        try
        {
            for (int step = 0; step < operations && failures.IsEmpty; step++)
            {
                attacker.Step(failures);
                Interlocked.Increment(ref totals.Operations);

                // Interleave: let a couple of calls through between host operations (bounded, whatever happens).
                int calls = Volatile.Read(ref totals.Calls);
                var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
                while (Volatile.Read(ref totals.Calls) < calls + 2 && Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.Yield();
                }
            }
        }
        finally
        {
            done.Cancel();
            foreach (Thread caller in callers)
            {
                Assert.True(caller.Join(Patience), "a caller did not finish");
            }
        }

        attacker.Scan(failures);
        Interlocked.Add(ref totals.Succeeded, attacker.Succeeded);
        Interlocked.Add(ref totals.Scans, attacker.Scans);
        totals.Stopped += (one.StopReason is null ? 0 : 1) + (two.StopReason is null ? 0 : 1);
        Assert.True(failures.IsEmpty, $"seed {seed}: {string.Join("; ", failures)}\nhost operations:\n{string.Join("\n", attacker.Log)}");
    }

    private static void Inside(Keeper keeper, TrustDomainHost<IKeeper> host, Attacker attacker, ConcurrentQueue<string> failures)
    {
        bool acted = false; // calls into one domain are one at a time: the hooks of a call share this
        keeper.BeforeKey = () =>
        {
            acted = Random.Shared.Next(2) == 0;
            if (acted)
            {
                HostThread.Run(() => attacker.Step(failures, host));
            }
        };
        keeper.WhileKeyed = () =>
        {
            if (acted || Random.Shared.Next(4) == 0)
            {
                HostThread.Run(() => attacker.Scan(failures));
            }
        };
    }

    private static Thread Caller(TrustDomainHost<IKeeper> host, int seed, ConcurrentQueue<string> failures, Totals totals, CancellationToken done)
        => new(() =>
        {
            var random = new Random(seed);
            byte[] tag = new byte[32];
            while (!done.IsCancellationRequested && failures.IsEmpty)
            {
                byte[] message = new byte[random.Next(0, 65)];
                random.NextBytes(message);
                Interlocked.Increment(ref totals.Calls);
                try
                {
                    int length = host.Proxy.Tag(message, tag);
                    if (length != message.Length || !tag.AsSpan().SequenceEqual(Keeper.ExpectedTag(message)))
                    {
                        failures.Enqueue("a call returned a wrong result: " + Convert.ToHexString(tag));
                    }

                    if (tag.AsSpan().IndexOf(Keeper.Secret.AsSpan(0, 8)) >= 0)
                    {
                        failures.Enqueue("a result carried the secret");
                    }

                    Interlocked.Increment(ref totals.Right);
                }
                catch (InvalidOperationException busy)
                {
                    Interlocked.Increment(ref totals.Busy); // the proxy runs one call at a time: the other caller has it
                    if (Leaks(busy.ToString()))
                    {
                        failures.Enqueue("an exception carried the secret: " + busy);
                    }

                    Thread.Yield();
                }
                catch (Exception refused) when (refused is BoundaryRevokedException or BoundaryViolationException)
                {
                    Interlocked.Increment(ref totals.Refused);
                    if (Leaks(refused.ToString()))
                    {
                        failures.Enqueue("an exception carried the secret: " + refused);
                    }

                    if (refused is BoundaryRevokedException)
                    {
                        Thread.Sleep(1); // a stopped or revoked domain answers at once: leave the host room to act
                    }
                }
                catch (Exception unexpected)
                {
                    failures.Enqueue("a call failed with neither a result nor a refusal: " + unexpected);
                }
            }
        })
        { IsBackground = true, Name = "property caller " + seed.ToString(CultureInfo.InvariantCulture) };

    private static bool Leaks(string text) => text.Contains(SecretText, StringComparison.Ordinal) || text.Contains(SecretHex, StringComparison.OrdinalIgnoreCase);

    private static int Setting(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;

    /// <summary>The hostile host: random capability operations through raw monitor calls on a core nobody calls on.</summary>
    private sealed class Attacker(SimulatedMonitor monitor, TrustDomainHost<IKeeper>[] hosts, Random random, int seed)
    {
        private readonly Lock _gate = new();
        private readonly SimulatedCore _core = monitor.GetCore(3);
        private readonly List<CapabilityHandle> _revokes = new();
        private readonly List<CapabilityHandle> _regions = new();

        public List<string> Log { get; } = new();

        public int Succeeded { get; private set; }

        public int Scans { get; private set; }

        public void Step(ConcurrentQueue<string> failures, TrustDomainHost<IKeeper>? target = null)
        {
            lock (_gate)
            {
                StepLocked(failures, target ?? hosts[random.Next(hosts.Length)], inside: target is not null);
            }
        }

        public void Scan(ConcurrentQueue<string> failures)
        {
            lock (_gate)
            {
                ScanStep(failures);
            }
        }

        private void StepLocked(ConcurrentQueue<string> failures, TrustDomainHost<IKeeper> host, bool inside)
        {
            int choice = random.Next(100);
            string what;
            try
            {
                what = choice switch
                {
                    < 6 => RevokeSegment(host),
                    < 10 => SwapPrivate(host),
                    < 16 => RevokeAny(),
                    < 36 => Segment(host, shared: random.Next(2) == 0),
                    < 58 => Send(host),
                    < 66 => AddCore(host, failures),
                    < 74 => TakeView(host, failures),
                    < 75 when inside => ScanStep(failures),
                    < 75 => Destroy(host),
                    _ => ScanStep(failures),
                };
                Succeeded++;
            }
            catch (MonitorException refused)
            {
                what = "refused " + refused.Error;
            }

            Log.Add($"[{seed}] {choice} {what}");
            if (_revokes.Count > 40)
            {
                Forget(); // keep the host's table from filling up
            }
        }

        private string ScanStep(ConcurrentQueue<string> failures)
        {
            Scans++;
            long at = HostVisible.Find(monitor, Keeper.Secret);
            if (at >= 0)
            {
                var reach = new StringBuilder();
                foreach (var access in monitor.GetAccessMap())
                {
                    if ((ulong)at >= access.Start && (ulong)at < access.End)
                    {
                        reach.Append(CultureInfo.InvariantCulture, $" domain {access.Domain} [0x{access.Start:X}, 0x{access.End:X}) {access.Rights};");
                    }
                }

                failures.Enqueue($"the secret is in memory the host can read, at 0x{at:X}, reached by{reach} (private memory at 0x{hosts[0].Region.PrivateAddress:X} and 0x{hosts[1].Region.PrivateAddress:X}; shared at 0x{hosts[0].Region.SharedAddress:X} and 0x{hosts[1].Region.SharedAddress:X}; stop reasons: {hosts[0].StopReason} / {hosts[1].StopReason})");
            }

            return "scan";
        }

        private string RevokeSegment(TrustDomainHost<IKeeper> host)
        {
            ulong address = random.Next(2) == 0 ? host.Region.PrivateAddress : host.Region.SharedAddress;
            monitor.RevokeSegment(host.Domain, address);
            return $"revoke segment 0x{address:X} of domain {host.Domain.Id}";
        }

        /// <summary>The four-step swap of attack 1: the private region back, then memory of the host's choosing sent in at its address.</summary>
        private string SwapPrivate(TrustDomainHost<IKeeper> host)
        {
            ulong address = host.Region.PrivateAddress;
            ulong size = (ulong)random.Next(1, 3) * Page;
            monitor.RevokeSegment(host.Domain, address);
            CapabilityHandle parent = SimulatedMonitor.RootRegion;
            ulong start = random.Next(2) == 0 ? address : (ulong)random.Next(1, (MemorySize / Page) - 4) * Page;
            int kind = random.Next(3);
            if (kind > 0)
            {
                SegmentResult alias = _core.SegmentRegion(parent, true, start, start + size, MemoryRights.Read | MemoryRights.Write);
                _revokes.Add(alias.ToRevoke);
                parent = alias.ToSend;
            }

            SegmentResult region = _core.SegmentRegion(parent, shared: kind == 1, start, start + size, MemoryRights.Read | MemoryRights.Write);
            _revokes.Add(region.ToRevoke);
            MemoryRights extras = random.Next(2) == 0 ? MemoryRights.Cleanup : MemoryRights.None;
            _core.SendRegion(region.ToSend, monitor.GetManagement(host.Domain), address, false, size, extras);
            return $"swap the private region of domain {host.Domain.Id} for {(kind == 0 ? "a carve" : kind == 1 ? "an alias of an alias" : "a carve of an alias")} of [0x{start:X}, 0x{start + size:X}) ({extras})";
        }

        private string RevokeAny()
        {
            var revokes = new List<CapabilityInfo>();
            ulong token = 0;
            do
            {
                token = _core.Enumerate(token, out CapabilityInfo info);
                if (info.Kind == CapabilityKind.RegionRevoke)
                {
                    revokes.Add(info);
                }
            }
            while (token != 0);

            if (revokes.Count == 0)
            {
                throw new MonitorException(MonitorError.CapabilityDoesNotExist, "nothing to revoke");
            }

            CapabilityInfo chosen = revokes[random.Next(revokes.Count)];
            _core.Revoke(chosen.Handle);
            return $"revoke [0x{chosen.Value1:X}, 0x{chosen.Value2:X})";
        }

        private string Segment(TrustDomainHost<IKeeper> host, bool shared)
        {
            CapabilityHandle parent = _regions.Count > 0 && random.Next(3) == 0 ? _regions[random.Next(_regions.Count)] : SimulatedMonitor.RootRegion;
            (ulong start, ulong size) = Range(host);
            SegmentResult result = _core.SegmentRegion(parent, shared, start, start + size, MemoryRights.Read | MemoryRights.Write);
            _regions.Add(result.ToSend);
            _revokes.Add(result.ToRevoke);
            return $"{(shared ? "alias" : "carve")} [0x{start:X}, 0x{start + size:X})";
        }

        private string Send(TrustDomainHost<IKeeper> host)
        {
            if (_regions.Count == 0)
            {
                Segment(host, shared: random.Next(2) == 0);
            }

            int index = random.Next(_regions.Count);
            CapabilityHandle region = _regions[index];
            ulong size = RegionSize(region);
            ulong at = random.Next(3) switch
            {
                0 => host.Region.PrivateAddress,
                1 => host.Region.SharedAddress,
                _ => (ulong)random.Next(1, MemorySize / Page) * Page,
            };
            MemoryRights extras = random.Next(3) switch { 0 => MemoryRights.None, 1 => MemoryRights.Cleanup, _ => MemoryRights.Cleanup | MemoryRights.Hash };
            _core.SendRegion(region, monitor.GetManagement(host.Domain), at, false, size, extras);
            _regions.RemoveAt(index);
            return $"send 0x{size:X} bytes to domain {host.Domain.Id} at 0x{at:X} ({extras})";
        }

        private string AddCore(TrustDomainHost<IKeeper> host, ConcurrentQueue<string> failures)
        {
            int core = random.Next(monitor.CoreCount);
            monitor.AllocateCoreContext(host.Domain, core);
            failures.Enqueue($"the host added core {core} to sealed domain {host.Domain.Id}");
            return "added a core";
        }

        private string TakeView(TrustDomainHost<IKeeper> host, ConcurrentQueue<string> failures)
        {
            ulong address = random.Next(2) == 0 ? host.Region.PrivateAddress : host.Region.SharedAddress;
            MemoryView view = _core.GetView(address, 64, MemoryRights.Read);
            failures.Enqueue($"the host took a view at 0x{address:X}");
            return view.Length.ToString(CultureInfo.InvariantCulture);
        }

        private string Destroy(TrustDomainHost<IKeeper> host)
        {
            monitor.Destroy(host.Domain);
            return $"destroy domain {host.Domain.Id}";
        }

        private (ulong Start, ulong Size) Range(TrustDomainHost<IKeeper> host)
        {
            ulong size = (ulong)random.Next(1, 5) * Page;
            ulong start = random.Next(4) switch
            {
                0 => host.Region.PrivateAddress,
                1 => host.Region.SharedAddress,
                _ => (ulong)random.Next(1, (MemorySize / Page) - 4) * Page,
            };
            return (start, size);
        }

        private ulong RegionSize(CapabilityHandle region)
        {
            ulong token = 0;
            do
            {
                token = _core.Enumerate(token, out CapabilityInfo info);
                if (info.Handle == region && info.Kind == CapabilityKind.Region)
                {
                    return info.Value2 - info.Value1;
                }
            }
            while (token != 0);

            throw new MonitorException(MonitorError.CapabilityDoesNotExist, "the region is gone");
        }

        private void Forget()
        {
            foreach (CapabilityHandle revoke in _revokes)
            {
                try
                {
                    _core.Revoke(revoke);
                }
                catch (MonitorException)
                {
                    // already gone with an ancestor
                }
            }

            _revokes.Clear();
            _regions.Clear();
        }
    }

    private sealed class Totals
    {
        public int Operations;
        public int Succeeded;
        public int Calls;
        public int Right;
        public int Refused;
        public int Busy;
        public int Scans;
        public int Stopped;
    }
}
