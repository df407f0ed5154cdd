using System;
using System.Buffers.Binary;
using System.Linq;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 2: the host adds a core context to the sealed domain and switches in on a second core while a call is in
/// flight on the first. Both entries would share one frame copy and one scratch area: the in-flight call's validated
/// input would change under it.
/// </summary>
public sealed class SecondCoreTests
{
    private static readonly byte[] Message = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray();

    [Fact]
    public void Attack2_a_second_core_entering_during_a_call_never_changes_the_calls_validated_input()
    {
        using var kit = new KeeperKit();
        bool extraCore;
        try
        {
            kit.Monitor.AllocateCoreContext(kit.Host.Domain, 1);
            extraCore = true;
        }
        catch (MonitorException)
        {
            extraCore = false; // the defence: the domain may run only on the core it was given
        }

        kit.Keeper.BetweenReads = () =>
        {
            if (extraCore)
            {
                HostThread.Run(() =>
                {
                    kit.Monitor.HostWrite(kit.Host.Region.SharedAddress, HostileSum(kit.Host.Region.SharedSize));
                    kit.Monitor.Transition(kit.Host.Domain, 1, 0);
                });
            }
        };

        int expected = Message.Sum(b => b);
        for (int call = 0; call < 3; call++)
        {
            try
            {
                Assert.Equal(expected, kit.Proxy.Sum(Message));
            }
            catch (BoundaryViolationException)
            {
                // refused: fine (the host rewrote the frame under the call)
            }
        }

        Assert.Equal(0, kit.Keeper.Torn);
    }

    /// <summary>A Sum frame whose message is 64 bytes of 0xFF, written by the host straight into the shared region.</summary>
    internal static byte[] HostileSum(int regionSize)
    {
        var frame = new byte[regionSize];
        int dataStart = KeeperBoundary.Layout.FrameSize;
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 1); // Sum: first in ordinal order
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(KeeperBoundary.M1_message), (uint)dataStart);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(KeeperBoundary.M1_message + 4), 64);
        frame.AsSpan(dataStart, 64).Fill(0xFF);
        return frame;
    }
}
