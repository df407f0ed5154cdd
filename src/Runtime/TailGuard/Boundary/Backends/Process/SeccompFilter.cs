using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace TailGuard.Boundary;

/// <summary>
/// The seccomp filter a process-isolated domain runs under once it is set up (x86_64 only): what its entry loop and the
/// .NET runtime need in steady state (memory, threads, signals, time, futex, reading and writing descriptors it already
/// holds) is allowed; file-system lookups the runtime may still probe fail with EPERM; everything else (sockets,
/// exec, ptrace, process creation beyond threads, opening new memory...) kills the whole process with SIGSYS, which
/// the host reports. <c>prctl</c> is allowed only to name threads, so the domain cannot make itself dumpable again.
/// </summary>
internal static unsafe class SeccompFilter
{
    private const uint AuditArchX8664 = 0xC000003E;
    private const uint RetKillProcess = 0x80000000;
    private const uint RetAllow = 0x7FFF0000;
    private const uint RetErrnoEperm = 0x00050000 | 1;
    private const int FilterFlagTsync = 1;

    private const ushort LdWAbs = 0x20;     // BPF_LD | BPF_W | BPF_ABS
    private const ushort JeqK = 0x15;       // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort RetK = 0x06;       // BPF_RET | BPF_K

    private const int PrctlNumber = 157;

    /// <summary>System calls the domain may make (x86_64 numbers, with their names for docs/trust-boundary.md).</summary>
    public static readonly (int Number, string Name)[] Allowed =
    [
        (0, "read"), (1, "write"), (3, "close"), (5, "fstat"), (7, "poll"), (8, "lseek"), (9, "mmap"), (10, "mprotect"),
        (11, "munmap"), (12, "brk"), (13, "rt_sigaction"), (14, "rt_sigprocmask"), (15, "rt_sigreturn"), (24, "sched_yield"),
        (25, "mremap"), (27, "mincore"), (28, "madvise"), (35, "nanosleep"), (39, "getpid"), (56, "clone"), (60, "exit"),
        (97, "getrlimit"), (98, "getrusage"), (99, "sysinfo"), (102, "getuid"), (104, "getgid"), (107, "geteuid"),
        (108, "getegid"), (110, "getppid"), (131, "sigaltstack"), (96, "gettimeofday"), (140, "getpriority"), (141, "setpriority"), (143, "sched_getparam"), (144, "sched_setscheduler"),
        (145, "sched_getscheduler"), (146, "sched_get_priority_max"), (147, "sched_get_priority_min"), (186, "gettid"),
        (202, "futex"), (203, "sched_setaffinity"), (204, "sched_getaffinity"), (219, "restart_syscall"), (228, "clock_gettime"),
        (229, "clock_getres"), (230, "clock_nanosleep"), (231, "exit_group"), (234, "tgkill"), (271, "ppoll"), (293, "pipe2"),
        (273, "set_robust_list"), (302, "prlimit64"), (318, "getrandom"), (324, "membarrier"), (334, "rseq"),
        (435, "clone3"),
    ];

    /// <summary>File-system lookups refused with EPERM rather than killing (the runtime probes files and copes with failure).</summary>
    public static readonly (int Number, string Name)[] Refused =
    [
        (2, "open"), (4, "stat"), (6, "lstat"), (21, "access"), (89, "readlink"), (217, "getdents64"), (257, "openat"),
        (262, "newfstatat"), (267, "readlinkat"), (269, "faccessat"), (332, "statx"), (439, "faccessat2"),
    ];

    /// <summary>Whether this machine can run the filter.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Sets no_new_privs and installs the filter on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC).</summary>
    public static void Install()
    {
        var program = new List<ulong>();
        program.Add(Statement(LdWAbs, 4));                              // arch
        program.Add(Jump(AuditArchX8664, 1, 0));
        program.Add(Statement(RetK, RetKillProcess));
        program.Add(Statement(LdWAbs, 0));                              // nr
        int prctlJump = program.Count;
        program.Add(0);                                                 // jeq prctl -> prctl check (patched below)
        foreach ((int number, _) in Allowed)
        {
            program.Add(Jump((uint)number, 0, 1));
            program.Add(Statement(RetK, RetAllow));
        }

        foreach ((int number, _) in Refused)
        {
            program.Add(Jump((uint)number, 0, 1));
            program.Add(Statement(RetK, RetErrnoEperm));
        }

        program.Add(Statement(RetK, RetKillProcess));
        int prctlCheck = program.Count;
        program.Add(Statement(LdWAbs, 16));                             // args[0], low word
        program.Add(Jump(15, 2, 0));                                    // PR_SET_NAME
        program.Add(Jump(16, 1, 0));                                    // PR_GET_NAME
        program.Add(Statement(RetK, RetKillProcess));
        program.Add(Statement(RetK, RetAllow));
        program[prctlJump] = Jump(PrctlNumber, checked((byte)(prctlCheck - prctlJump - 1)), 0);

        ulong[] filter = program.ToArray();
        fixed (ulong* instructions = filter)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            byte* fprog = stackalloc byte[16];
            *(ushort*)fprog = checked((ushort)filter.Length);
            *(ulong**)(fprog + 8) = instructions;
            if (ProcessNative.Prctl(ProcessNative.PrSetNoNewPrivs, 1, 0, 0, 0) != 0)
            {
                throw new InvalidOperationException($"prctl(PR_SET_NO_NEW_PRIVS) failed: errno {Marshal.GetLastPInvokeError()}.");
            }

            if (ProcessNative.Syscall(ProcessNative.SysSeccomp, 1 /* SECCOMP_SET_MODE_FILTER */, FilterFlagTsync, (nint)fprog, 0, 0, 0) != 0)
            {
                throw new InvalidOperationException($"seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) failed: errno {Marshal.GetLastPInvokeError()}.");
            }
        }
    }

    // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }, as one little-endian 64-bit word.
    private static ulong Statement(ushort code, uint k) => code | ((ulong)k << 32);

    private static ulong Jump(uint k, byte jumpTrue, byte jumpFalse) => JeqK | ((ulong)jumpTrue << 16) | ((ulong)jumpFalse << 24) | ((ulong)k << 32);
}
