using System;
using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Interop;

/// <summary>
/// A file descriptor the transport owns (a socket, a BPF program, map or link), closed exactly once: on dispose, or by
/// the finalizer if the owner was never disposed. Closing a BPF link's descriptor is what detaches the XDP program.
/// </summary>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd)
        : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The descriptor number (valid while this object is alive and not disposed).</summary>
    public int Value => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.close((int)handle.ToInt64()) == 0;
}
