using System;
using System.Buffers.Binary;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// Attack 5: values whose bit patterns their type does not allow (a decimal with a scale above 28 or reserved bits
/// set) written by a hostile host into a frame, or returned by a lying host to the domain's out-calls (Iago). They must
/// be refused before the implementation (or the domain's code) sees them.
/// </summary>
public sealed class InvalidValueTests
{
    // decimal in memory: i32 flags (scale in bits 16-23, sign in bit 31, the rest reserved), u32 hi, u64 lo.
    public static TheoryData<uint> InvalidFlags => new() { 29u << 16, 0xFFu << 16, 1u, 0x8000_0001u, 0x0100_0000u };

    [Theory]
    [MemberData(nameof(InvalidFlags))]
    public void Attack5_a_decimal_argument_with_an_invalid_bit_pattern_never_reaches_the_implementation(uint flags)
    {
        var ledger = new Ledger(null);
        using var monitor = new SimulatedMonitor();
        using TrustDomainHost<ILedger> host = LedgerBoundary.Host(ledger, new TrustDomainHostOptions { Monitor = monitor });
        byte[] frame = NewFrame(host, 1); // Add
        WriteDecimal(frame.AsSpan(LedgerBoundary.M1_a), flags);
        WriteDecimal(frame.AsSpan(LedgerBoundary.M1_b), 0);

        CallStatus status = Send(monitor, host, frame);

        Assert.Equal(CallStatus.InvalidValue, status);
        Assert.Equal(0, ledger.Calls);
        Assert.Equal(3m, host.Proxy.Add(1m, 2m)); // and the domain keeps serving
    }

    [Theory]
    [MemberData(nameof(InvalidFlags))]
    public void Attack5_a_decimal_element_with_an_invalid_bit_pattern_never_reaches_the_implementation(uint flags)
    {
        var ledger = new Ledger(null);
        using var monitor = new SimulatedMonitor();
        using TrustDomainHost<ILedger> host = LedgerBoundary.Host(ledger, new TrustDomainHostOptions { Monitor = monitor });
        byte[] frame = NewFrame(host, 3); // Count
        int data = LedgerBoundary.Layout.FrameSize;
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(LedgerBoundary.M3_amounts), (uint)data);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(LedgerBoundary.M3_amounts + 4), 3 * 16);
        WriteDecimal(frame.AsSpan(data), 0);
        WriteDecimal(frame.AsSpan(data + 16), 2u << 16);
        WriteDecimal(frame.AsSpan(data + 32), flags); // the last one is invalid

        CallStatus status = Send(monitor, host, frame);

        Assert.Equal(CallStatus.InvalidValue, status);
        Assert.Equal(0, ledger.Calls);
        Assert.Equal(2, host.Proxy.Count([1m, 2.5m])); // valid decimals still cross
    }

    [Theory]
    [MemberData(nameof(InvalidFlags))]
    public void Attack5_Iago_a_decimal_result_from_the_host_with_an_invalid_bit_pattern_is_refused(uint flags)
    {
        bool tamperRate = true;
        using TrustDomainHost<ILedger> host = TrustDomainHost.Create<ILedger, LedgerBoundary, IRates, RatesBoundary>(
            proxy => new Ledger(proxy),
            new Rates(),
            new TrustDomainHostOptions
            {
                HostCallTamper = (monitor, address) =>
                {
                    Span<byte> frame = stackalloc byte[4];
                    monitor.HostRead(address, frame);
                    uint method = BinaryPrimitives.ReadUInt32LittleEndian(frame);
                    if (method == 1 && tamperRate)
                    {
                        byte[] value = new byte[16];
                        WriteDecimal(value, flags);
                        monitor.HostWrite(address + CallFrame.HeaderSize, value); // Rate's result slot
                    }
                    else if (method == 2 && !tamperRate)
                    {
                        byte[] value = new byte[16];
                        WriteDecimal(value, flags);
                        monitor.HostWrite(address + (ulong)RatesBoundary.Layout.FrameSize, value); // Recent's first element
                    }
                },
            });

        // The domain's proxy refuses the host's answer; the domain's call fails with that reason, as B9.
        Assert.Equal(CallStatus.MalformedReply, Assert.Throws<BoundaryViolationException>(() => host.Proxy.Convert(2m)).Status);
        tamperRate = false;
        Assert.Equal(CallStatus.MalformedReply, Assert.Throws<BoundaryViolationException>(() => host.Proxy.Convert(2m)).Status);
        Assert.Equal(CallStatus.MalformedReply, host.Counters.LastStatus);
        Assert.Equal(0, host.Counters.Completed);
    }

    [Fact]
    public void Valid_decimals_cross_both_ways_unchanged()
    {
        using TrustDomainHost<ILedger> host = TrustDomainHost.Create<ILedger, LedgerBoundary, IRates, RatesBoundary>(proxy => new Ledger(proxy), new Rates());
        Assert.Equal(-0.0000000000000000000000000001m, host.Proxy.Add(-0.0000000000000000000000000001m, 0m)); // scale 28 and the sign bit: valid
        Assert.Equal(2m * 1.25m * 2.5m, host.Proxy.Convert(2m));
        Assert.Equal(3, host.Proxy.Count([decimal.MinValue, 0.5m, decimal.MaxValue]));
    }

    private static void WriteDecimal(Span<byte> destination, uint flags)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], 12345);
    }

    private static byte[] NewFrame(TrustDomainHost<ILedger> host, uint method)
    {
        var frame = new byte[host.Region.SharedSize];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, method);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        return frame;
    }

    private static CallStatus Send(SimulatedMonitor monitor, TrustDomainHost<ILedger> host, byte[] frame)
    {
        monitor.HostWrite(host.Region.SharedAddress, frame);
        Assert.Equal(MonitorStatus.Success, monitor.Transition(host.Domain, host.Core, 0).Status);
        Span<byte> status = stackalloc byte[4];
        monitor.HostRead(host.Region.SharedAddress + CallFrame.StatusOffset, status);
        return (CallStatus)BinaryPrimitives.ReadInt32LittleEndian(status);
    }
}
