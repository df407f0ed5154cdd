using System;
using TailGuard.Boundary.Tests.Contracts;

namespace TailGuard.Boundary.Tests;

/// <summary>B5 (out buffers are private, zero-filled, copied out once with their declared length) and B8 (user_check is a view, not a copy).</summary>
public sealed class OutputAndUserCheckTests
{
    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B5_an_out_buffer_is_zero_filled_privately_and_only_its_declared_length_is_copied_out(string backend)
    {
        using var kit = new ProbeKit(backend);
        int dataStart = kit.DataStart;
        byte[] frame = kit.NewFrame(ProbeKit.Fill);
        frame[ProbeBoundary.M3_value] = 7;
        BitConverter.TryWriteBytes(frame.AsSpan(ProbeBoundary.M3_count), 4);
        frame.AsSpan(dataStart).Fill(0xAA); // the host's garbage where the output will go, and beyond
        ProbeKit.Descriptor(frame, ProbeBoundary.M3_destination, (uint)dataStart, 32);
        byte[]? sharedDuringCall = null;
        kit.Probe.DuringCall = () => HostThread.Run(() => sharedDuringCall = kit.ReadShared()); // the host looks mid-call

        Assert.Equal(CallStatus.Ok, kit.Send(frame));

        Assert.All(kit.Probe.SeenBeforeWrite.AsSpan(0, 32).ToArray(), b => Assert.Equal(0, b)); // the callee saw zeros, not 0xAA
        Assert.NotNull(sharedDuringCall);
        Assert.Equal(0xAA, sharedDuringCall![dataStart]); // nothing was copied out while the callee ran
        byte[] after = kit.ReadShared();
        Assert.Equal(new byte[] { 7, 7, 7, 7 }, after.AsSpan(dataStart, 4).ToArray());
        Assert.All(after.AsSpan(dataStart + 4, 28).ToArray(), b => Assert.Equal(0, b));
        Assert.All(after.AsSpan(dataStart + 32, 32).ToArray(), b => Assert.Equal(0xAA, b)); // past the declared length: untouched
        Assert.Equal(32u, BitConverter.ToUInt32(after, ProbeBoundary.M3_destination + 4));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B5_through_the_proxy_the_callers_buffer_gets_exactly_the_result(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] destination = new byte[128];
        for (int round = 0; round < 50; round++)
        {
            destination.AsSpan().Fill(0xEE);
            kit.Proxy.Fill((byte)round, round, destination.AsSpan(0, 100));
            Assert.All(destination.AsSpan(0, round).ToArray(), b => Assert.Equal((byte)round, b));
            Assert.All(destination.AsSpan(round, 100 - round).ToArray(), b => Assert.Equal(0, b));
            Assert.All(destination.AsSpan(100).ToArray(), b => Assert.Equal(0xEE, b));
        }
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B8_user_check_passes_a_view_of_shared_memory_without_copying(string backend)
    {
        using var kit = new ProbeKit(backend);
        int dataStart = kit.DataStart;
        kit.Probe.DuringCall = () => HostThread.Run(() => kit.HostWrite(dataStart, [0x5A])); // the host rewrites mid-call
        Assert.Equal(0x5A, kit.Proxy.Peek([1, 2, 3]));                        // and the callee sees it: no copy

        // The copying vocabulary does not: the same rewrite is invisible to an input buffer (B1).
        int copied = kit.Proxy.Add(0, 0, [1]);
        Assert.Equal(1, copied); // 0x5A was written at the same place mid-call; the private copy still holds 1
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B8_user_check_still_refuses_a_range_outside_the_region(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] frame = kit.NewFrame(ProbeKit.Peek);
        ProbeKit.Descriptor(frame, ProbeBoundary.M6_window, (uint)kit.Layout.RegionSize - 4, 8);
        Assert.Equal(CallStatus.BufferOutOfRange, kit.Send(frame));
        Assert.Equal(0, kit.Probe.Calls);
    }
}
