using System;
using System.Buffers.Binary;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// The shape issue 6's generated code will take, written by hand: a domain whose entry copies a call frame from the
/// shared page into its private page, validates it, sums the payload bytes and writes the result back. No allocation.
/// </summary>
internal sealed class SummingEntry(ulong shared, ulong privatePage) : IDomainEntry
{
    public const int FrameHeader = 8; // u32 length, u32 result
    public const int MaxPayload = 256;

    private readonly byte[] _frame = new byte[FrameHeader + MaxPayload];

    public MonitorError LastError { get; private set; }

    public int ActiveNow;
    public int MaxActive;

    public DomainExit Run(in DomainEntryContext context)
    {
        int active = System.Threading.Interlocked.Increment(ref ActiveNow);
        if (active > MaxActive)
        {
            MaxActive = active;
        }

        try
        {
            SimulatedCore core = context.Core;
            Span<byte> frame = _frame;
            LastError = core.TryRead(shared, frame); // one copy out of shared memory; fields are read from the copy only
            if (LastError != MonitorError.None)
            {
                return DomainExit.Return;
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(frame);
            if (length > MaxPayload)
            {
                LastError = MonitorError.InvalidOperation;
                return DomainExit.Return;
            }

            LastError = core.TryWrite(privatePage, frame[..(FrameHeader + (int)length)]); // private copy, as a domain would keep it
            uint sum = 0;
            foreach (byte value in frame.Slice(FrameHeader, (int)length))
            {
                sum += value;
            }

            Span<byte> result = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(result, sum);
            if (LastError == MonitorError.None)
            {
                LastError = core.TryWrite(shared + 4, result);
            }

            return DomainExit.Return;
        }
        finally
        {
            System.Threading.Interlocked.Decrement(ref ActiveNow);
        }
    }
}

internal sealed class HostedDomain
{
    public HostedDomain(SimulatedMonitor monitor, int cores = 1)
    {
        Monitor = monitor;
        Domain = monitor.CreateDomain();
        ulong memory = monitor.MapMemory(Domain, 3 * TycheKit.Page);
        Code = memory;
        Private = memory + TycheKit.Page;
        Shared = memory + (2 * TycheKit.Page);
        monitor.HostWrite(Code, "pretend code"u8);
        monitor.AddSegment(Domain, Code, TycheKit.Page, MemoryRights.Read | MemoryRights.Exec | MemoryRights.Hash, SegmentType.Confidential);
        monitor.AddSegment(Domain, Private, TycheKit.Page, MemoryRights.Read | MemoryRights.Write | MemoryRights.Cleanup, SegmentType.Confidential);
        monitor.AddSegment(Domain, Shared, TycheKit.Page, MemoryRights.Read | MemoryRights.Write, SegmentType.Shared);
        Entry = new SummingEntry(Shared, Private);
        monitor.SetEntry(Domain, Entry);
        for (int core = 0; core < cores; core++)
        {
            monitor.AllocateCoreContext(Domain, core);
        }

        monitor.Commit(Domain);
    }

    public SimulatedMonitor Monitor { get; }

    public TrustDomain Domain { get; }

    public ulong Code { get; }

    public ulong Private { get; }

    public ulong Shared { get; }

    public SummingEntry Entry { get; }

    /// <summary>The host proxy: write the frame, switch in, read the result.</summary>
    public uint Sum(ReadOnlySpan<byte> payload, int core, Span<byte> scratch)
    {
        Span<byte> frame = scratch[..(SummingEntry.FrameHeader + payload.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], 0);
        payload.CopyTo(frame[SummingEntry.FrameHeader..]);
        Monitor.HostWrite(Shared, frame);
        TransitionResult result = Monitor.Transition(Domain, core, 0);
        if (result.Status != MonitorStatus.Success || Entry.LastError != MonitorError.None)
        {
            throw new InvalidOperationException($"call failed: {result} {Entry.LastError}");
        }

        Monitor.HostRead(Shared + 4, scratch[..4]);
        return BinaryPrimitives.ReadUInt32LittleEndian(scratch);
    }
}
