using System;
using System.Runtime.InteropServices;

using TailGuard.Tyche.Driver;

namespace TailGuard.Boundary;

/// <summary>
/// The memory a process-isolated domain shares with its host: a sealed <c>memfd</c> mapped in both processes. Page 0
/// holds one control block per core of the domain (<see cref="ControlBlock"/>, a cache line each); each core's call
/// region follows, then (for a domain that calls out to the host) its out-call region (<see cref="SharedLayout"/>). The
/// file's size is sealed (F_SEAL_SHRINK, F_SEAL_GROW) before the domain maps it, so the host can never shrink it under
/// the domain's mapping (which would fault the domain on its next access).
/// </summary>
internal sealed unsafe class SharedMemory : IDisposable
{
    public const int Page = SharedLayout.Page;

    private nint _base;

    private SharedMemory(int fd, nint mapping, SharedLayout layout)
    {
        Fd = fd;
        _base = mapping;
        Layout = layout;
    }

    /// <summary>The memfd (host side; -1 in the domain, which closes it once mapped).</summary>
    public int Fd { get; private set; }

    /// <summary>Where each core's words and regions are.</summary>
    public SharedLayout Layout { get; }

    /// <summary>Bytes mapped.</summary>
    public int Length => Layout.Length;

    /// <summary>Where the mapping starts in this process.</summary>
    public nint Address => _base;

    /// <summary>The whole mapping (tests scan it for what the host can read).</summary>
    public ReadOnlySpan<byte> All => new((void*)_base, Length);

    /// <summary>Core <paramref name="lane"/>'s control block.</summary>
    public ControlBlock* Control(int lane) => (ControlBlock*)(_base + Layout.ControlOffset(lane));

    /// <summary>Core <paramref name="lane"/>'s call region.</summary>
    public Span<byte> Region(int lane) => new((byte*)_base + Layout.RegionOffset(lane), Layout.RegionSize);

    /// <summary>Core <paramref name="lane"/>'s out-call region (empty when the domain makes no host calls).</summary>
    public Span<byte> OutRegion(int lane) => new((byte*)_base + Layout.OutRegionOffset(lane), Layout.OutRegionSize);

    /// <summary>Creates and seals a memfd of <paramref name="layout"/>'s length, and maps it.</summary>
    public static SharedMemory Create(SharedLayout layout)
    {
        int length = layout.Length;
        int fd = ProcessNative.MemfdCreate("tailguard-domain", ProcessNative.MfdCloexec | ProcessNative.MfdAllowSealing);
        if (fd < 0)
        {
            throw Failure("memfd_create");
        }

        try
        {
            if (ProcessNative.Ftruncate(fd, length) != 0)
            {
                throw Failure("ftruncate");
            }

            if (ProcessNative.Fcntl(fd, ProcessNative.FAddSeals, ProcessNative.FSealShrink | ProcessNative.FSealGrow | ProcessNative.FSealSeal) != 0)
            {
                throw Failure("fcntl(F_ADD_SEALS)");
            }

            return new SharedMemory(fd, Map(fd, length), layout);
        }
        catch
        {
            LibC.Close(fd);
            throw;
        }
    }

    /// <summary>The domain's side: opens the host's memfd through /proc, maps it, and closes the descriptor.</summary>
    public static SharedMemory Open(string path, SharedLayout layout)
    {
        int fd = LibC.Open(path, LibC.ReadWrite | LibC.CloseOnExec);
        if (fd < 0)
        {
            throw Failure("open " + path);
        }

        try
        {
            return new SharedMemory(-1, Map(fd, layout.Length), layout);
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    public void Dispose()
    {
        if (_base != 0)
        {
            LibC.Munmap(_base, (nuint)Length);
            _base = 0;
        }

        if (Fd >= 0)
        {
            LibC.Close(Fd);
            Fd = -1;
        }
    }

    private static nint Map(int fd, int length)
    {
        nint mapping = LibC.Mmap(0, (nuint)length, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, fd, 0);
        if (mapping == -1)
        {
            throw Failure("mmap");
        }

        return mapping;
    }

    private static InvalidOperationException Failure(string call)
        => new($"{call} failed: errno {Marshal.GetLastPInvokeError()} ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}).");
}

/// <summary>
/// The words of one core through which host and domain signal calls: the host bumps <see cref="Request"/> after
/// writing a call, the domain sets <see cref="Reply"/> to it after answering; during a call the domain bumps
/// <see cref="OutRequest"/> after writing an out-call and the host sets <see cref="OutReply"/> to it after serving it.
/// The domain rings <see cref="HostBell"/> after either of its writes: the host sleeps on that one word, so a reply
/// and an out-call both wake it. Each side spins on the other's word for a while, then announces it sleeps and waits
/// on it with FUTEX_WAIT; the other side wakes it only when it announced so. Neither side trusts the other's words
/// beyond "something may be waiting": the host reads a reply or an out-call once from its own copy and validates it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ControlBlock
{
    /// <summary>Calls the host has published (the domain's futex word).</summary>
    public int Request;

    /// <summary>The last call the domain answered (the host's futex word).</summary>
    public int Reply;

    /// <summary>1 while the domain waits in the kernel.</summary>
    public int DomainSleeping;

    /// <summary>1 while the host waits in the kernel.</summary>
    public int HostSleeping;

    /// <summary>Set by the host to make the domain leave its loop (revocation); set in the host's own view when the domain died.</summary>
    public int Stop;

    /// <summary>Out-calls the domain has published during the call in flight (the host serves each new value once).</summary>
    public int OutRequest;

    /// <summary>The last out-call the host served (the domain's futex word while it waits for the host).</summary>
    public int OutReply;

    /// <summary>Rung (incremented) by the domain after it wrote <see cref="Reply"/> or <see cref="OutRequest"/>: the host's futex word.</summary>
    public int HostBell;
}

/// <summary>
/// Where each core's words and regions are in the shared mapping: page 0 holds up to <see cref="MaxCores"/> control
/// blocks of one cache line each; then, per core, its call region and its out-call region, each in whole pages.
/// </summary>
internal readonly record struct SharedLayout(int Cores, int RegionSize, int OutRegionSize)
{
    public const int Page = 4096;

    /// <summary>One cache line per core's control block, so two cores' words never share a line.</summary>
    public const int ControlSlot = 64;

    /// <summary>The most cores a process domain runs on (one page of control blocks).</summary>
    public const int MaxCores = Page / ControlSlot;

    private int RegionPages => (RegionSize + Page - 1) / Page * Page;

    private int OutRegionPages => (OutRegionSize + Page - 1) / Page * Page;

    /// <summary>Bytes from one core's call region to the next's.</summary>
    public int Stride => RegionPages + OutRegionPages;

    /// <summary>The whole mapping.</summary>
    public int Length => Page + (Cores * Stride);

    public int ControlOffset(int lane) => Check(lane) * ControlSlot;

    public int RegionOffset(int lane) => Page + (Check(lane) * Stride);

    public int OutRegionOffset(int lane) => RegionOffset(lane) + RegionPages;

    private int Check(int lane) => (uint)lane < (uint)Cores ? lane : throw new ArgumentOutOfRangeException(nameof(lane), lane, "No such core in the domain.");
}
