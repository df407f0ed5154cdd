using System;
using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Interop;

/// <summary>A region from mmap (the UMEM, or a ring shared with the kernel), unmapped exactly once.</summary>
internal sealed unsafe class MappedMemory : SafeHandle
{
    private MappedMemory(void* address, nuint length)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)address);
        Length = length;
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public byte* Pointer => (byte*)handle;

    public nuint Length { get; }

    /// <summary>Anonymous memory for packet frames, populated up front so the kernel can pin it at registration.</summary>
    public static MappedMemory Anonymous(nuint length, out int errno)
    {
        var address = Libc.mmap(null, length, Libc.ProtRead | Libc.ProtWrite, Libc.MapPrivate | Libc.MapAnonymous | Libc.MapPopulate, -1, 0);
        errno = address == Libc.MapFailed ? Libc.LastError : 0;
        return new MappedMemory(address == Libc.MapFailed ? null : address, length);
    }

    /// <summary>A ring of an AF_XDP socket, at the page offset the kernel defines for it.</summary>
    public static MappedMemory Ring(int fd, nuint length, long pageOffset, out int errno)
    {
        var address = Libc.mmap(null, length, Libc.ProtRead | Libc.ProtWrite, Libc.MapShared | Libc.MapPopulate, fd, pageOffset);
        errno = address == Libc.MapFailed ? Libc.LastError : 0;
        return new MappedMemory(address == Libc.MapFailed ? null : address, length);
    }

    protected override bool ReleaseHandle() => Libc.munmap((void*)handle, Length) == 0;
}
