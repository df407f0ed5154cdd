using System;
using System.Runtime.InteropServices;

using TailGuard.Tyche.Driver;

namespace TailGuard.Boundary;

/// <summary>
/// The memory a process-isolated domain shares with its host: a sealed <c>memfd</c> mapped in both processes. Page 0
/// is the control block (<see cref="ControlBlock"/>); the call region starts at <see cref="RegionOffset"/>. The file's
/// size is sealed (F_SEAL_SHRINK, F_SEAL_GROW) before the domain maps it, so the host can never shrink it under the
/// domain's mapping (which would fault the domain on its next access).
/// </summary>
internal sealed unsafe class SharedMemory : IDisposable
{
    public const int Page = 4096;
    public const int RegionOffset = Page;

    private nint _base;

    private SharedMemory(int fd, nint mapping, int length)
    {
        Fd = fd;
        _base = mapping;
        Length = length;
    }

    /// <summary>The memfd (host side; -1 in the domain, which closes it once mapped).</summary>
    public int Fd { get; private set; }

    /// <summary>Bytes mapped.</summary>
    public int Length { get; }

    /// <summary>Where the mapping starts in this process.</summary>
    public nint Address => _base;

    /// <summary>The control block.</summary>
    public ControlBlock* Control => (ControlBlock*)_base;

    /// <summary>The call region.</summary>
    public Span<byte> Region(int size) => new((byte*)_base + RegionOffset, size);

    /// <summary>The whole mapping (tests scan it for what the host can read).</summary>
    public ReadOnlySpan<byte> All => new((void*)_base, Length);

    /// <summary>Creates and seals a memfd of one control page and <paramref name="regionSize"/> bytes of region (whole pages), and maps it.</summary>
    public static SharedMemory Create(int regionSize)
    {
        int length = RegionOffset + ((regionSize + Page - 1) / Page * Page);
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

            return new SharedMemory(fd, Map(fd, length), length);
        }
        catch
        {
            LibC.Close(fd);
            throw;
        }
    }

    /// <summary>The domain's side: opens the host's memfd through /proc, maps it, and closes the descriptor.</summary>
    public static SharedMemory Open(string path, int length)
    {
        int fd = LibC.Open(path, LibC.ReadWrite | LibC.CloseOnExec);
        if (fd < 0)
        {
            throw Failure("open " + path);
        }

        try
        {
            return new SharedMemory(-1, Map(fd, length), length);
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
/// The words at the start of the shared mapping through which host and domain signal calls: the host bumps
/// <see cref="Request"/> after writing a call, the domain sets <see cref="Reply"/> to it after answering. Each side
/// spins on the other's word for a while, then announces it sleeps and waits on it with FUTEX_WAIT; the other side
/// wakes it only when it announced so. The domain trusts none of it beyond "a call may be waiting".
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
}
