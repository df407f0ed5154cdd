using System;
using System.Buffers.Binary;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// B9: the domain calls the host through a [HostCalls] contract; what the host returns (status, returned lengths,
/// "offsets") is validated by the domain's proxy before the domain's code sees it.
/// </summary>
public sealed class HostCallTests
{
    [Fact]
    public void A_domain_calls_the_host_and_gets_its_answers()
    {
        var storage = new Storage();
        using TrustDomainHost<IReader> host = CreateHost(storage, tamper: null);
        byte[] destination = new byte[8];
        Assert.Equal(8, host.Proxy.Fetch(10, destination));
        Assert.Equal(new byte[] { 10, 11, 12, 13, 14, 15, 16, 17 }, destination);
        Assert.Equal(1_700_000_000, host.Proxy.Time());
        Assert.Equal(1, storage.Reads);
    }

    [Theory]
    [InlineData(9u)]          // more than the domain's buffer
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(7u)]          // less: also not what was asked
    public void B9_a_returned_length_other_than_the_buffer_is_refused_and_nothing_reaches_the_domain(uint lie)
    {
        var storage = new Storage();
        using TrustDomainHost<IReader> host = CreateHost(storage, (monitor, address) =>
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, lie);
            monitor.HostWrite(address + (ulong)StorageBoundary.M2_destination + 4, length);
        });

        byte[] destination = new byte[8];
        destination.AsSpan().Fill(0xEE);
        var failure = Assert.Throws<BoundaryViolationException>(() => host.Proxy.Fetch(10, destination));
        // The domain's proxy refused the host's reply; the domain's call fails with that reason, and no byte of the reply was used.
        Assert.Equal(CallStatus.MalformedReply, failure.Status);
        Assert.Equal(CallStatus.MalformedReply, host.Counters.LastStatus);
        Assert.Equal(1, storage.Reads);
        Assert.All(destination, b => Assert.Equal(0xEE, b));
    }

    [Theory]
    [InlineData(-1, CallStatus.MalformedReply)]
    [InlineData(0x7FFF_FFFE, CallStatus.MalformedReply)]
    [InlineData((int)CallStatus.Pending, CallStatus.MalformedReply)] // reported by the domain as malformed: Pending means "never answered"
    public void B9_an_unknown_or_missing_status_from_the_host_is_refused(int status, CallStatus reported)
    {
        using TrustDomainHost<IReader> host = CreateHost(new Storage(), (monitor, address) =>
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, status);
            monitor.HostWrite(address + CallFrame.StatusOffset, bytes);
        });

        Assert.Equal(reported, Assert.Throws<BoundaryViolationException>(() => host.Proxy.Time()).Status);
        Assert.Equal(reported, host.Counters.LastStatus);
    }

    [Fact]
    public void B9_an_offset_rewritten_by_the_host_is_ignored_the_domain_reads_where_it_asked()
    {
        using TrustDomainHost<IReader> host = CreateHost(new Storage(), (monitor, address) =>
        {
            // Point the descriptor at the frame itself (or anywhere): the domain's proxy never reads offsets back.
            Span<byte> offset = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(offset, 0);
            monitor.HostWrite(address + (ulong)StorageBoundary.M2_destination, offset);
        });

        byte[] destination = new byte[4];
        Assert.Equal(4, host.Proxy.Fetch(100, destination));
        Assert.Equal(new byte[] { 100, 101, 102, 103 }, destination);
    }

    [Fact]
    public void Host_calls_from_a_domain_allocate_nothing_per_call()
    {
        using TrustDomainHost<IReader> host = CreateHost(new Storage(), tamper: null);
        byte[] destination = new byte[64];
        long total = 0;
        int next = 0;

        // Both threads that work: the caller's (which also runs the domain) and the host thread serving the out-calls.
        AllocationReport report = AllocationWindows.Measure(
            count =>
            {
                for (int call = 0; call < count; call++, next++)
                {
                    total += host.Proxy.Fetch(next, destination) + host.Proxy.Time();
                }
            },
            () => GC.GetAllocatedBytesForCurrentThread() + host.HostCalls!.HostThreadAllocatedBytes);

        report.AssertNoPerCallAllocation();
        Assert.Equal(0, total % (64 + 1_700_000_000));
    }

    private static TrustDomainHost<IReader> CreateHost(Storage storage, Action<SimulatedMonitor, ulong>? tamper)
        => TrustDomainHost.Create<IReader, ReaderBoundary, IStorage, StorageBoundary>(
            proxy => new Reader(proxy),
            storage,
            new TrustDomainHostOptions { HostCallTamper = tamper });
}
