using System;
using System.Buffers.Binary;
using TailGuard.Boundary.Tests.Contracts;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests;

/// <summary>A sealed domain serving <see cref="Probe"/>, and the raw access a hostile host has to its shared region.</summary>
internal sealed class ProbeKit : IDisposable
{
    // Method ids: ordinal order of the method names in IProbe.
    public const uint Add = 1;
    public const uint Describe = 2;
    public const uint Fill = 3;
    public const uint Inspect = 4;
    public const uint Length = 5;
    public const uint Peek = 6;
    public const uint Ping = 7;
    public const uint Reverse = 8;
    public const uint Sum = 9;

    public ProbeKit(string backend = Backends.Simulated, int cores = 4)
    {
        Backend = backend;
        Monitor = new SimulatedMonitor(new SimulatedMonitorOptions { CoreCount = cores });
        if (backend == Backends.Process)
        {
            // The implementation is built inside the child process: Probe (this process's instance) is never called.
            _processBackend = new ProcessBackend();
            Host = TrustDomainHost.Create<IProbe, ProbeBoundary, Probe>(new TrustDomainHostOptions { Backend = _processBackend });
        }
        else if (backend == Backends.Driver)
        {
            // The fake device's CPU runs the entry loop over the domain's memory as its page tables show it.
            _driver = new Driver.DriverKit();
            Host = _driver.Create<IProbe, ProbeBoundary>(Probe);
        }
        else
        {
            Assert.Equal(Backends.Simulated, backend);
            Host = ProbeBoundary.Host(Probe, new TrustDomainHostOptions { Monitor = Monitor });
        }

        Access = (ISharedRegionAccess)Host.Instance;
    }

    private readonly ProcessBackend? _processBackend;
    private readonly Driver.DriverKit? _driver;

    /// <summary>The backend's name (<see cref="Backends"/>).</summary>
    public string Backend { get; }

    /// <summary>The implementation, when it lives in this process (in-process backends only).</summary>
    public Probe Probe { get; } = new();

    /// <summary>The simulated monitor (the domain lives on it when the backend is the simulated one).</summary>
    public SimulatedMonitor Monitor { get; }

    /// <summary>The host's raw access to the shared region, on whichever backend.</summary>
    public ISharedRegionAccess Access { get; }

    public TrustDomainHost<IProbe> Host { get; }

    public IProbe Proxy => Host.Proxy;

    public BoundaryLayout Layout => ProbeBoundary.Layout;

    public int DataStart => Layout.FrameSize;

    /// <summary>The host writing the shared region (a checked copy: the host holds no span over monitor memory).</summary>
    public void HostWrite(int offset, ReadOnlySpan<byte> bytes) => Access.HostWrite(offset, bytes);

    /// <summary>One byte of the shared region, as the domain reads it: from inside a call, through the domain's own core.</summary>
    public byte SharedByteSeenByDomain(int offset)
    {
        Span<byte> value = stackalloc byte[1];
        BoundaryEntry.CurrentCore!.Read(Host.Region.SharedAddress + (ulong)offset, value);
        return value[0];
    }

    /// <summary>A frame as a hostile host writes it: method id, Pending status, everything else up to the caller.</summary>
    public byte[] NewFrame(uint methodId)
    {
        var frame = new byte[Layout.RegionSize];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, methodId);
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(CallFrame.StatusOffset), (int)CallStatus.Pending);
        return frame;
    }

    public static void Descriptor(byte[] frame, int slot, uint offset, uint length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(slot), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(slot + 4), length);
    }

    /// <summary>Writes the frame straight into the shared region, switches into the domain, and returns the status it wrote.</summary>
    public CallStatus Send(byte[] frame)
    {
        Access.HostWrite(0, frame);
        Assert.True(Access.Enter(), "the domain did not run the call");
        Span<byte> status = stackalloc byte[4];
        Access.HostRead(CallFrame.StatusOffset, status);
        return (CallStatus)BinaryPrimitives.ReadInt32LittleEndian(status);
    }

    public byte[] ReadShared()
    {
        var bytes = new byte[Layout.RegionSize];
        Access.HostRead(0, bytes);
        return bytes;
    }

    public void Dispose()
    {
        Host.Dispose();
        Monitor.Dispose();
        _processBackend?.Dispose();
        _driver?.Dispose();
    }
}
