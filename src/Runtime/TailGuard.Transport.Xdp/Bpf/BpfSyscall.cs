using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using TailGuard.Transport.Xdp.Interop;

namespace TailGuard.Transport.Xdp.Bpf;

/// <summary>
/// The bpf() system call: create maps, load a program (with the verifier's log when it refuses), update and read map
/// elements, attach a program to an interface as a BPF link, run a program on a test frame. Each command fills a zeroed
/// union bpf_attr (144 bytes on the kernels we know; the kernel accepts a larger zero tail and a shorter struct).
/// </summary>
internal static unsafe class BpfSyscall
{
    public const int MapTypePerCpuArray = 6;
    public const int MapTypeXskMap = 17;
    public const int ProgramTypeXdp = 6;
    public const int AttachTypeXdp = 37;
    public const int HelperMapLookupElement = 1;
    public const int HelperRedirectMap = 51;
    public const int XdpPass = 2;
    public const int XdpRedirect = 4;

    private const int AttrSize = 144;
    private const int CommandMapCreate = 0;
    private const int CommandMapLookupElement = 1;
    private const int CommandMapUpdateElement = 2;
    private const int CommandMapDeleteElement = 3;
    private const int CommandProgramLoad = 5;
    private const int CommandProgramTestRun = 10;
    private const int CommandObjectGetInfoByFd = 15;
    private const int CommandLinkCreate = 28;

    /// <summary>bpf() on this architecture (x86-64: 321, arm64: 280).</summary>
    private static readonly long SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        _ => -1,
    };

    /// <summary>Whether this process architecture has a known bpf() system call number.</summary>
    public static bool IsSupportedArchitecture => SyscallNumber > 0;

    /// <summary>Creates a map; returns its descriptor, or -1 with <paramref name="errno"/>.</summary>
    public static int CreateMap(int type, int keySize, int valueSize, int maxEntries, string name, out int errno)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, type);
        Write32(attr, 4, keySize);
        Write32(attr, 8, valueSize);
        Write32(attr, 12, maxEntries);
        WriteName(attr + 28, name);
        return (int)Call(CommandMapCreate, attr, out errno);
    }

    /// <summary>Loads a program; returns its descriptor, or -1 with <paramref name="errno"/> and the verifier's log.</summary>
    public static int LoadProgram(int type, ReadOnlySpan<BpfInstruction> program, string license, int expectedAttachType, string name, out int errno, out string verifierLog)
    {
        verifierLog = string.Empty;
        var fd = Load(program, type, license, expectedAttachType, name, null, 0, out errno);
        if (fd >= 0 || errno is Libc.EPerm or Libc.ENoSys)
        {
            return fd;
        }

        // Refused: load again with the verifier's log, which says which instruction failed and why.
        const int LogSize = 64 * 1024;
        var log = (byte*)NativeMemory.AllocZeroed(LogSize);
        try
        {
            fd = Load(program, type, license, expectedAttachType, name, log, LogSize, out var second);
            verifierLog = Marshal.PtrToStringUTF8((nint)log) ?? string.Empty;
            if (fd >= 0)
            {
                return fd;
            }

            errno = second;
            return -1;
        }
        finally
        {
            NativeMemory.Free(log);
        }
    }

    /// <summary>Sets map[key] = value; returns 0, or -1 with <paramref name="errno"/>.</summary>
    public static int UpdateElement(int mapFd, void* key, void* value, out int errno)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, mapFd);
        Write64(attr, 8, (long)key);
        Write64(attr, 16, (long)value);
        return (int)Call(CommandMapUpdateElement, attr, out errno);
    }

    /// <summary>Removes map[key]; returns 0, or -1 with <paramref name="errno"/>.</summary>
    public static int DeleteElement(int mapFd, void* key, out int errno)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, mapFd);
        Write64(attr, 8, (long)key);
        return (int)Call(CommandMapDeleteElement, attr, out errno);
    }

    /// <summary>Reads map[key] into value (all CPUs' values, one after another, for a per-CPU map).</summary>
    public static int LookupElement(int mapFd, void* key, void* value, out int errno)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, mapFd);
        Write64(attr, 8, (long)key);
        Write64(attr, 16, (long)value);
        return (int)Call(CommandMapLookupElement, attr, out errno);
    }

    /// <summary>Attaches an XDP program to an interface as a BPF link (Linux 5.9+); returns the link's descriptor, whose close detaches it.</summary>
    public static int CreateXdpLink(int programFd, int ifindex, uint xdpFlags, out int errno)
    {
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, programFd);
        Write32(attr, 4, ifindex);
        Write32(attr, 8, AttachTypeXdp);
        Write32(attr, 12, (int)xdpFlags);
        return (int)Call(CommandLinkCreate, attr, out errno);
    }

    /// <summary>The kernel's id of a program (what <c>ip link</c> and <c>bpftool</c> show), or 0.</summary>
    public static uint ProgramId(int programFd)
    {
        const int InfoSize = 232; // struct bpf_prog_info
        var info = stackalloc byte[InfoSize];
        new Span<byte>(info, InfoSize).Clear();
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, programFd);
        Write32(attr, 4, InfoSize);
        Write64(attr, 8, (long)info);
        return Call(CommandObjectGetInfoByFd, attr, out _) == 0 ? BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(info + 4, 4)) : 0;
    }

    /// <summary>Runs an XDP program once on <paramref name="frame"/> (BPF_PROG_TEST_RUN); returns its verdict, or -1 with <paramref name="errno"/>.</summary>
    public static int TestRun(int programFd, ReadOnlySpan<byte> frame, out int errno)
    {
        // The kernel wants room to copy the (possibly rewritten) frame out, and a frame of at least an Ethernet header.
        var input = stackalloc byte[Math.Max(frame.Length, 14)];
        frame.CopyTo(new Span<byte>(input, frame.Length));
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        Write32(attr, 0, programFd);
        Write32(attr, 8, frame.Length);
        Write64(attr, 16, (long)input);
        Write32(attr, 32, 1);
        if (Call(CommandProgramTestRun, attr, out errno) != 0)
        {
            return -1;
        }

        return BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(attr + 4, 4));
    }

    private static int Load(ReadOnlySpan<BpfInstruction> program, int type, string license, int expectedAttachType, string name, byte* log, int logSize, out int errno)
    {
        var licenseBytes = Encoding.ASCII.GetBytes(license + "\0");
        var attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (BpfInstruction* instructions = program)
        fixed (byte* licenseText = licenseBytes)
        {
            Write32(attr, 0, type);
            Write32(attr, 4, program.Length);
            Write64(attr, 8, (long)instructions);
            Write64(attr, 16, (long)licenseText);
            if (log is not null)
            {
                Write32(attr, 24, 1);
                Write32(attr, 28, logSize);
                Write64(attr, 32, (long)log);
            }

            WriteName(attr + 48, name);
            Write32(attr, 68, expectedAttachType);
            return (int)Call(CommandProgramLoad, attr, out errno);
        }
    }

    private static long Call(int command, byte* attr, out int errno)
    {
        if (SyscallNumber < 0)
        {
            errno = Libc.ENoSys;
            return -1;
        }

        long result;
        do
        {
            result = Libc.syscall(SyscallNumber, command, (long)attr, AttrSize);
            errno = result < 0 ? Libc.LastError : 0;
        }
        while (result < 0 && errno == Libc.EIntr);

        return result;
    }

    private static void Write32(byte* attr, int offset, int value) => BinaryPrimitives.WriteInt32LittleEndian(new Span<byte>(attr + offset, 4), value);

    private static void Write64(byte* attr, int offset, long value) => BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(attr + offset, 8), value);

    /// <summary>Object names are at most 15 characters of [A-Za-z0-9_.] plus a terminating zero.</summary>
    private static void WriteName(byte* destination, string name)
    {
        var length = Math.Min(name.Length, 15);
        for (var i = 0; i < length; i++)
        {
            destination[i] = (byte)name[i];
        }
    }
}
