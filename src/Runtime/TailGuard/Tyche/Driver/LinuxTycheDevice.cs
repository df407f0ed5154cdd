using System;
using System.Runtime.InteropServices;

namespace TailGuard.Tyche.Driver;

/// <summary>The real <c>/dev/tyche</c>: libc calls, errno from the last P/Invoke error.</summary>
internal sealed unsafe class LinuxTycheDevice : ITycheDevice
{
    public static readonly LinuxTycheDevice Instance = new();

    private LinuxTycheDevice()
    {
    }

    /// <summary>The device for this process; the driver exists only for Linux on x86-64.</summary>
    public static LinuxTycheDevice ForCurrentPlatform() =>
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? Instance
            : throw new MonitorException(
                MonitorError.NotSupported,
                $"The Tyche driver backend needs Linux on x86-64 (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}); use SimulatedMonitor.");

    public int Access(string path, int mode) => LibC.Access(path, mode) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public int Open(string path, out int errno)
    {
        int fd = LibC.Open(path, LibC.ReadWrite | LibC.CloseOnExec);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    public int Close(int fd) => LibC.Close(fd);

    public nint Map(int fd, nuint length, out int errno)
    {
        nint address = LibC.Mmap(0, length, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared | LibC.MapPopulate, fd, 0);
        errno = address == -1 ? Marshal.GetLastPInvokeError() : 0;
        return address;
    }

    public int Unmap(nint address, nuint length) => LibC.Munmap(address, length);

    public int Control(int fd, uint request, void* argument, out int errno)
    {
        int result = LibC.Ioctl(fd, request, argument);
        errno = result != 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    public int Control(int fd, uint request, ulong value, out int errno)
    {
        int result = LibC.Ioctl(fd, request, value);
        errno = result != 0 ? Marshal.GetLastPInvokeError() : 0;
        return result;
    }

    public ulong[]? PinToCore(int core, out int errno)
    {
        errno = 0;
        var previous = new ulong[LibC.CpuSetBytes / sizeof(ulong)];
        var pinned = new ulong[previous.Length];
        if ((uint)core >= (uint)(pinned.Length * 64))
        {
            errno = 22; // EINVAL
            return null;
        }

        pinned[core / 64] = 1UL << (core % 64);
        fixed (ulong* before = previous)
        fixed (ulong* after = pinned)
        {
            if (LibC.SchedGetAffinity(0, LibC.CpuSetBytes, before) != 0 || LibC.SchedSetAffinity(0, LibC.CpuSetBytes, after) != 0)
            {
                errno = Marshal.GetLastPInvokeError();
                return null;
            }
        }

        return previous;
    }

    public void RestoreAffinity(ulong[] mask)
    {
        fixed (ulong* before = mask)
        {
            _ = LibC.SchedSetAffinity(0, LibC.CpuSetBytes, before);
        }
    }
}
