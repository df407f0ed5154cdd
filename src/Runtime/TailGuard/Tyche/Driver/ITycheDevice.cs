namespace TailGuard.Tyche.Driver;

/// <summary>
/// The system calls <see cref="DriverMonitor"/> makes on <c>/dev/tyche</c>, behind one seam: the real device
/// (<see cref="LinuxTycheDevice"/>) or, in tests, a fake that enforces the driver's rules and records what it was asked.
/// Failures return -1 (or a null address) and the errno; nothing here throws.
/// </summary>
internal unsafe interface ITycheDevice
{
    /// <summary>access(2): 0 when the path exists with <paramref name="mode"/> (F_OK 0, R_OK 4, W_OK 2), otherwise the errno.</summary>
    int Access(string path, int mode);

    /// <summary>open(2) with O_RDWR | O_CLOEXEC; on the driver each open creates a domain.</summary>
    int Open(string path, out int errno);

    /// <summary>close(2); on the driver closing the descriptor revokes its domain.</summary>
    int Close(int fd);

    /// <summary>mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0); -1 on failure.</summary>
    nint Map(int fd, nuint length, out int errno);

    /// <summary>munmap(2).</summary>
    int Unmap(nint address, nuint length);

    /// <summary>ioctl(2) with a pointer argument.</summary>
    int Control(int fd, uint request, void* argument, out int errno);

    /// <summary>ioctl(2) with the argument passed by value.</summary>
    int Control(int fd, uint request, ulong value, out int errno);

    /// <summary>Pins the calling thread to one CPU (the driver switches only on the CPU it is asked for); returns the previous mask, or null when it could not.</summary>
    ulong[]? PinToCore(int core, out int errno);

    /// <summary>Restores the calling thread's CPU mask.</summary>
    void RestoreAffinity(ulong[] mask);
}
