using System;
using System.Buffers.Binary;
using System.Threading;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// B1 and B2 under a real concurrent attacker: a second thread keeps rewriting the shared region through the host's
/// legitimate alias while thousands of calls run. The callee must never see its input change during a call, and a
/// flipped length must never make the entry read outside the region or past the bound.
/// </summary>
public sealed class DoubleFetchTests
{
    private const int Calls = 3000;
    private static readonly TimeSpan AttackerStep = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B1_an_input_buffer_is_copied_before_validation_and_later_host_writes_are_not_seen(string backend)
    {
        using var kit = new ProbeKit(backend);
        int dataStart = kit.DataStart;
        byte[] garbage = new byte[200];
        using var attacker = new Attacker(kit, (region, round) =>
        {
            // Rewrite the input bytes (never the descriptor, so calls stay valid) with values the host never sends.
            garbage.AsSpan().Fill((byte)(0x80 | (round & 0x7F)));
            region.HostWrite(dataStart, garbage);
        });

        kit.Probe.DuringInspect = attacker.WaitForNextRound; // the attacker writes at least once inside every call
        kit.Probe.SharedPeek = index => kit.SharedByteSeenByDomain(dataStart + index);
        byte[] input = new byte[200];
        for (int call = 0; call < Calls; call++)
        {
            input.AsSpan().Fill((byte)(call & 0x7F));
            kit.Proxy.Inspect(input);
        }

        attacker.Stop();
        Assert.Equal(Calls, kit.Probe.Calls);
        Assert.Equal(0, kit.Probe.ChangedDuringCall);
        Assert.True(kit.Probe.SharedDiffered > 0, "the attacker never changed the shared bytes during a call: the test proved nothing");
        Assert.True(attacker.Rounds >= Calls);
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B2_flipping_a_length_or_offset_mid_call_never_causes_an_out_of_bounds_read(string backend)
    {
        using var kit = new ProbeKit(backend);
        int slot = ProbeBoundary.M4_data;
        int regionSize = kit.Layout.RegionSize;
        int dataStart = kit.DataStart;
        byte[] word = new byte[4];
        using var attacker = new Attacker(kit, (region, round) =>
        {
            (uint offset, uint length) = (round % 5) switch
            {
                0 => ((uint)dataStart, 0xFFFF_FFF0u),                // huge length
                1 => ((uint)dataStart, 257u),                        // one past the bound
                2 => ((uint)(regionSize - 8), 64u),                  // runs off the region's end
                3 => (0xFFFF_FFF8u, 16u),                            // offset + length wraps in 32 bits
                _ => ((uint)dataStart, 16u),                         // valid, but not what the host sent
            };
            BinaryPrimitives.WriteUInt32LittleEndian(word, offset); // two separate writes, as before: they can tear
            region.HostWrite(slot, word);
            BinaryPrimitives.WriteUInt32LittleEndian(word, length);
            region.HostWrite(slot + 4, word);
        });

        kit.Probe.DuringInspect = attacker.WaitForNextRound;
        byte[] input = new byte[100];
        int accepted = 0, refused = 0;
        for (int call = 0; call < Calls; call++)
        {
            try
            {
                kit.Proxy.Inspect(input);
                accepted++;
                // Only lengths somebody wrote can be seen: the host's 100, the attacker's valid 16, or 64 when the
                // attacker's offset and length of different rounds tear into a pair that is still inside the region.
                Assert.True(kit.Probe.LastLength is 100 or 16 or 64, "the callee saw length " + kit.Probe.LastLength);
            }
            catch (BoundaryViolationException violation)
            {
                refused++;
                Assert.True(
                    violation.Status is CallStatus.LengthOverBound or CallStatus.BufferOutOfRange,
                    "unexpected refusal " + violation.Status + " (an out-of-bounds read would surface as ImplementationFault)");
            }
        }

        attacker.Stop();
        Assert.Equal(Calls, accepted + refused);
        Assert.True(refused > 0, "no flipped descriptor was ever caught: the attacker did not race");
        Assert.Equal(accepted, kit.Probe.Calls);
        Assert.Equal(0, kit.Probe.OutOfBounds);
        Assert.Equal(0, kit.Probe.ChangedDuringCall);
        Assert.Equal(accepted, (int)kit.Host.Counters.Completed);
    }

    /// <summary>A host thread that rewrites the shared region in rounds until stopped, through the host's own (checked) writes.</summary>
    private sealed class Attacker : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _rounds;

        public Attacker(ProbeKit kit, Action<ProbeKit, int> attack)
        {
            _thread = new Thread(() =>
            {
                for (int round = 0; !_stop; round++)
                {
                    attack(kit, round);
                    Interlocked.Increment(ref _rounds);
                }
            })
            { IsBackground = true, Name = "boundary attacker" };
            _thread.Start();
        }

        public long Rounds => Interlocked.Read(ref _rounds);

        /// <summary>Called by the callee mid-call: returns once the attacker has completed another full round.</summary>
        public void WaitForNextRound()
        {
            long start = Rounds;
            var deadline = DateTime.UtcNow + AttackerStep;
            var spinner = default(SpinWait);
            while (Rounds < start + 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the attacker thread made no progress");
                spinner.SpinOnce();
            }
        }

        public void Stop()
        {
            _stop = true;
            Assert.True(_thread.Join(TimeSpan.FromSeconds(30)));
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(TimeSpan.FromSeconds(30));
        }
    }
}
