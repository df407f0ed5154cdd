using System;
using System.Buffers.Binary;
using System.Text;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// B3, B4, B6, B7: frames a hostile host writes straight into the shared region, bypassing the proxy. Each is refused
/// with its status before the implementation runs, and the domain keeps serving afterwards.
/// </summary>
public sealed class HostileFrameTests
{
    [Theory]
    [InlineData(0xFFFF_FFF0u, 0x20u)]   // offset + length wraps around 2^32 to a small number
    [InlineData(0xFFFF_FFFFu, 1u)]
    [InlineData(0x7FFF_FFFFu, 64u)]     // far beyond the region
    public void B3_an_offset_plus_length_that_overflows_is_refused(uint offset, uint length)
    {
        using var kit = new ProbeKit();
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, offset, length));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B3_a_buffer_that_runs_past_the_shared_region_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, (uint)(kit.Layout.RegionSize - 8), 16));
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, (uint)kit.Layout.RegionSize, 1));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B3_a_buffer_that_overlaps_the_frame_itself_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, 0, 16));
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, (uint)(kit.DataStart - 4), 8));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void A_buffer_longer_than_its_bound_is_refused_even_inside_the_region(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(CallStatus.LengthOverBound, SendAdd(kit, (uint)kit.DataStart, 65));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B4_a_byte_length_that_is_not_a_multiple_of_the_element_size_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] frame = kit.NewFrame(ProbeKit.Sum);
        ProbeKit.Descriptor(frame, ProbeBoundary.M9_values, (uint)kit.DataStart, 10);
        Assert.Equal(CallStatus.NotElementMultiple, kit.Send(frame));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [InlineData(0xFFFF_FFFCu)] // 0x3FFF_FFFF ints: count x 4 overflows a 32-bit size
    [InlineData(0x8000_0000u)]
    [InlineData(33u * 4)]      // one element past the bound
    public void B4_an_element_count_beyond_the_bound_never_wraps_into_a_small_size(uint byteLength)
    {
        using var kit = new ProbeKit();
        byte[] frame = kit.NewFrame(ProbeKit.Sum);
        ProbeKit.Descriptor(frame, ProbeBoundary.M9_values, (uint)kit.DataStart, byteLength);
        Assert.Equal(CallStatus.LengthOverBound, kit.Send(frame));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', (byte)'b' })]                  // no terminator
    [InlineData(new byte[] { (byte)'a', 0, (byte)'b', 0 })]            // NUL before the end
    [InlineData(new byte[] { 0xC3, 0x28, 0 })]                         // invalid UTF-8
    [InlineData(new byte[] { 0xED, 0xA0, 0x80, 0 })]                   // an encoded surrogate
    [InlineData(new byte[0])]                                          // empty: not even a terminator
    public void B6_a_malformed_string_is_refused(byte[] bytes)
    {
        using var kit = new ProbeKit();
        Assert.Equal(CallStatus.InvalidString, SendString(kit, bytes));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B6_a_string_longer_than_its_bound_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        byte[] text = Encoding.UTF8.GetBytes(new string('x', 33) + "\0");
        Assert.Equal(CallStatus.LengthOverBound, SendString(kit, text));
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.InProcess), MemberType = typeof(Backends))]
    public void B6_a_well_formed_hand_written_string_is_accepted(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(CallStatus.Ok, SendString(kit, [(byte)'o', (byte)'k', 0]));
        Assert.Equal("ok", kit.Probe.LastText);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void B7_a_reference_into_the_domains_confidential_memory_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        const ulong secretMarker = 0x5EC2E7;
        // What a host would pass as a "pointer" to the domain's private memory: its address, or its distance from the region.
        ulong privateAddress = kit.Host.Region.PrivateAddress;
        ulong sharedAddress = kit.Host.Region.SharedAddress;
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, unchecked((uint)privateAddress), 8));
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, unchecked((uint)(privateAddress - sharedAddress)), 8));
        Assert.Equal(CallStatus.BufferOutOfRange, SendAdd(kit, unchecked((uint)(sharedAddress + (ulong)kit.Layout.RegionSize)), 8));
        Assert.NotEqual(secretMarker, privateAddress);
        AssertUntouchedAndAlive(kit);
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public void An_unknown_method_id_is_refused(string backend)
    {
        using var kit = new ProbeKit(backend);
        Assert.Equal(CallStatus.UnknownMethod, kit.Send(kit.NewFrame(999)));
        Assert.Equal(CallStatus.UnknownMethod, kit.Send(kit.NewFrame(0)));
        AssertUntouchedAndAlive(kit);
    }

    [Fact]
    public void A_hostile_frame_in_the_shared_region_does_not_disturb_the_next_proxy_call()
    {
        using var kit = new ProbeKit();
        byte[] garbage = new byte[kit.Layout.RegionSize];
        new Random(6).NextBytes(garbage);
        BinaryPrimitives.WriteUInt32LittleEndian(garbage, ProbeKit.Add);
        kit.Monitor.HostWrite(kit.Host.Region.SharedAddress, garbage);
        kit.Monitor.Transition(kit.Host.Domain, kit.Host.Core, 0);
        Assert.Equal(0, kit.Probe.Calls);
        Assert.Equal(6, kit.Proxy.Add(1, 2, [3]));
    }

    private static CallStatus SendAdd(ProbeKit kit, uint offset, uint length)
    {
        byte[] frame = kit.NewFrame(ProbeKit.Add);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(ProbeBoundary.M1_a), 1);
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(ProbeBoundary.M1_b), 2);
        ProbeKit.Descriptor(frame, ProbeBoundary.M1_data, offset, length);
        return kit.Send(frame);
    }

    private static CallStatus SendString(ProbeKit kit, byte[] bytes)
    {
        byte[] frame = kit.NewFrame(ProbeKit.Length);
        bytes.CopyTo(frame.AsSpan(kit.DataStart));
        ProbeKit.Descriptor(frame, ProbeBoundary.M5_text, (uint)kit.DataStart, (uint)bytes.Length);
        return kit.Send(frame);
    }

    private static void AssertUntouchedAndAlive(ProbeKit kit)
    {
        if (kit.Backend == Backends.Simulated)
        {
            Assert.Equal(0, kit.Probe.Calls);
        }
        else
        {
            Assert.Equal(0, kit.Host.Counters.Completed); // the implementation is in another process: no call completed
        }

        Assert.True(kit.Host.Counters.Refused > 0);
        Assert.Equal(3, kit.Proxy.Add(1, 2, default));
        if (kit.Backend == Backends.Simulated)
        {
            Assert.Equal(MonitorError.AccessDenied, Assert.Throws<MonitorException>(() => kit.Monitor.HostRead(kit.Host.Region.PrivateAddress, new byte[8])).Error);
        }
    }
}
