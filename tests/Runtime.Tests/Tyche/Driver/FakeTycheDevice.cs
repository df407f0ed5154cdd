using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Driver;

namespace TailGuard.Tests.Tyche.Driver;

/// <summary>Linux's asm-generic/ioctl.h encoding, computed here independently of the backend's constants.</summary>
internal static class LinuxIoctl
{
    public const uint Write = 1;
    public const uint Read = 2;
    public const int PointerSize = 8; // the driver header declares most arguments as pointers: their size is what is encoded

    public static uint Ioc(uint direction, char type, char nr, int size) => (direction << 30) | ((uint)size << 16) | ((uint)type << 8) | nr;
}

/// <summary>What the fake device was asked, in order: the call, the descriptor and the decoded arguments.</summary>
internal sealed record DeviceCall(string Name, int Fd, params ulong[] Arguments)
{
    public override string ToString() => $"{Name}({Fd}: {string.Join(", ", Array.ConvertAll(Arguments, value => $"0x{value:X}"))})";
}

/// <summary>
/// A stand-in for <c>/dev/tyche</c> that holds the backend to the driver's contract: it decodes every ioctl argument from
/// raw bytes at the C offsets of tyche_driver.h (x86-64), recognises only the header's ioctl numbers, and enforces the
/// rules of the driver's ioctl.c and domains.c — segments in mapping order, contiguous; COMMIT only with all mapped
/// memory in segments and only Shared/Confidential types; core configuration only on allowed, allocated cores;
/// TRANSITION only from the CPU it names; GET_ATTESTATION at most 4096 bytes, reporting one byte more than written like
/// the engine. Memory is real (page-aligned native memory), so the backend's host reads and writes work.
/// </summary>
internal sealed unsafe class FakeTycheDevice : ITycheDevice, IDisposable
{
    public const int EINVAL = 22;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int ENOTTY = 25;

    private static readonly uint GetPhysOffset = LinuxIoctl.Ioc(LinuxIoctl.Read | LinuxIoctl.Write, 'a', 'c', LinuxIoctl.PointerSize);
    private static readonly uint Mprotect = LinuxIoctl.Ioc(LinuxIoctl.Write, 'a', 'e', LinuxIoctl.PointerSize);
    private static readonly uint Commit = LinuxIoctl.Ioc(LinuxIoctl.Read | LinuxIoctl.Write, 'a', 'd', LinuxIoctl.PointerSize);
    private static readonly uint Transition = LinuxIoctl.Ioc(LinuxIoctl.Read, 'a', 'f', LinuxIoctl.PointerSize);
    private static readonly uint SetCoreConfig = LinuxIoctl.Ioc(LinuxIoctl.Read, 'a', 'g', LinuxIoctl.PointerSize);
    private static readonly uint SetConfiguration = LinuxIoctl.Ioc(LinuxIoctl.Read, 'a', 'i', LinuxIoctl.PointerSize);
    private static readonly uint AllocContext = LinuxIoctl.Ioc(LinuxIoctl.Write, 'a', 'n', sizeof(ulong));
    private static readonly uint GetAttestation = LinuxIoctl.Ioc(LinuxIoctl.Read | LinuxIoctl.Write, 'a', 'q', LinuxIoctl.PointerSize);

    private readonly object _gate = new();
    private readonly Dictionary<int, FakeDomain> _domains = new();
    private readonly Dictionary<nint, nuint> _mappings = new();
    private readonly Dictionary<int, int> _pinned = new(); // managed thread -> CPU
    private int _nextFd = 3;

    public string Path { get; init; } = DriverAbi.DevicePath;

    /// <summary>access(2) for a missing device (ENOENT) or one the process may not open (EACCES).</summary>
    public int AccessError { get; set; }

    /// <summary>What the monitor's SERIALIZE_ATTESTATION returns (the engine's format), unless <see cref="AttestCommitted"/>.</summary>
    public byte[] Attestation { get; set; } = [];

    /// <summary>GET_ATTESTATION returns the graph of what the device committed (<see cref="SerializeCommitted"/>) instead of <see cref="Attestation"/>.</summary>
    public bool AttestCommitted { get; set; }

    /// <summary>
    /// How far the fake's "physical" memory sits below the host's mapping: never the host address itself, so a backend
    /// that hands the domain host addresses is caught. Below, not above: host mappings reach up to 2^47, and the domain's
    /// identity map takes physical addresses under 2^47 only (an address above 0x7FF0_0000_0000, which ASLR sometimes
    /// picks, failed the driver tests when the bias was added).
    /// </summary>
    public const ulong PhysicalBias = 0x10_0000_0000;

    /// <summary>The fake's physical address of the host address <paramref name="hostAddress"/>.</summary>
    public static ulong ToPhysical(ulong hostAddress)
        => hostAddress >= PhysicalBias ? hostAddress - PhysicalBias : throw new InvalidOperationException($"host address 0x{hostAddress:X} is below the fake's physical bias");

    /// <summary>The host address of the fake's physical address <paramref name="physical"/>.</summary>
    public static ulong ToHost(ulong physical) => physical + PhysicalBias;

    /// <summary>
    /// The domain's CPU: runs on a TRANSITION that <see cref="Transitions"/> does not answer, with the core's context
    /// and the domain's memory as its page tables and EPT let it see (<see cref="FakeCpu"/>); returns the exit reason
    /// (0: the domain switched back).
    /// </summary>
    public Func<FakeCpu, uint>? Cpu { get; set; }

    /// <summary>What the next TRANSITIONs report: the ioctl's result, its errno, and the exit reason written back.</summary>
    public Queue<(int Result, int Errno, uint Error)> Transitions { get; } = new();

    /// <summary>Makes the next ioctl with this number fail with EINVAL (a monitor or driver refusal).</summary>
    public uint? FailNext { get; set; }

    public List<DeviceCall> Calls { get; } = new();

    public IReadOnlyCollection<int> OpenDescriptors => _domains.Keys;

    public int Access(string path, int mode)
    {
        Calls.Add(new DeviceCall("access", -1, (ulong)mode));
        if (path != Path || AccessError == ENOENT)
        {
            return ENOENT;
        }

        return mode == 0 ? 0 : AccessError; // F_OK only asks whether it exists
    }

    public int Open(string path, out int errno)
    {
        errno = path != Path ? ENOENT : AccessError;
        if (errno != 0)
        {
            return -1;
        }

        int fd = _nextFd++;
        _domains[fd] = new FakeDomain();
        Calls.Add(new DeviceCall("open", fd));
        return fd;
    }

    public int Close(int fd)
    {
        Calls.Add(new DeviceCall("close", fd));
        return _domains.Remove(fd) ? 0 : -1; // the driver revokes the domain
    }

    public nint Map(int fd, nuint length, out int errno)
    {
        errno = 0;
        if (!_domains.TryGetValue(fd, out FakeDomain? domain) || length == 0 || length % 4096 != 0)
        {
            errno = EINVAL;
            return -1;
        }

        nint address = (nint)NativeMemory.AlignedAlloc(length, 4096);
        NativeMemory.Clear((void*)address, length);
        _mappings[address] = length;
        domain.Raw.Add(new RawBlock((ulong)address, length));
        Calls.Add(new DeviceCall("mmap", fd, length));
        return address;
    }

    public int Unmap(nint address, nuint length)
    {
        Calls.Add(new DeviceCall("munmap", -1, (ulong)address, length));
        if (!_mappings.Remove(address, out nuint mapped) || mapped != length)
        {
            return -1;
        }

        NativeMemory.AlignedFree((void*)address);
        return 0;
    }

    public int Control(int fd, uint request, ulong value, out int errno)
    {
        errno = 0;
        if (!_domains.TryGetValue(fd, out FakeDomain? domain) || request != AllocContext || Refuse(request))
        {
            errno = request != AllocContext ? ENOTTY : EINVAL;
            return -1;
        }

        Calls.Add(new DeviceCall("ALLOC_CONTEXT", fd, value));
        int core = (int)value;
        if (value >= 64 || (domain.Configs[5] & (1UL << core)) == 0 || domain.Contexts.ContainsKey(core) || domain.Committed)
        {
            errno = EINVAL;
            return -1;
        }

        domain.Contexts[core] = new SortedDictionary<ulong, ulong>();
        return 0;
    }

    public int Control(int fd, uint request, void* argument, out int errno)
    {
        lock (_gate)
        {
            return ControlLocked(fd, request, argument, out errno);
        }
    }

    private int ControlLocked(int fd, uint request, void* argument, out int errno)
    {
        errno = EINVAL;
        if (!_domains.TryGetValue(fd, out FakeDomain? domain))
        {
            return -1;
        }

        if (request == Commit)
        {
            Calls.Add(new DeviceCall("COMMIT", fd, (ulong)argument));
            bool ok = argument == null && !domain.Committed && domain.Raw.TrueForAll(static raw => raw.Consumed == raw.Size)
                && domain.Segments.TrueForAll(static segment => segment.Type is 0 or 1 && (segment.Flags & ~0x1FFu) == 0);
            domain.Committed = ok && !Refuse(request);
            if (domain.Committed)
            {
                // The monitor hashes HASH segments (driver bit 6) as it sends them.
                foreach (FakeSegment segment in domain.Segments)
                {
                    domain.Hashes.Add((segment.Flags & (1u << 6)) != 0 ? SHA256.HashData(new ReadOnlySpan<byte>((void*)segment.Start, (int)segment.Size)) : null);
                }
            }

            return domain.Committed ? Success(out errno) : -1;
        }

        if (argument == null)
        {
            return -1;
        }

        var bytes = new Span<byte>(argument, request == Transition ? 16 : 24); // sizeof(msg_switch_t) is 16, the others 24
        if (request == GetPhysOffset)
        {
            // driver_get_physoffset_domain: the physical address of a mapped byte, and how much of its block follows.
            ulong virtualAddress = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            Calls.Add(new DeviceCall("GET_PHYSOFFSET", fd, virtualAddress));
            RawBlock? block = domain.Raw.Find(raw => virtualAddress >= raw.Start && virtualAddress - raw.Start < raw.Size);
            if (block is null || Refuse(request))
            {
                return -1;
            }

            BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], ToPhysical(virtualAddress));
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], block.Size - (virtualAddress - block.Start));
            return Success(out errno);
        }

        if (request == Mprotect)
        {
            ulong start = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]);
            Calls.Add(new DeviceCall("MPROTECT", fd, start, size, flags, type));

            // driver_mprotect_domain: only the head of the raw (mmap'ed) memory, within it.
            RawBlock? head = domain.Raw.Find(static raw => raw.Consumed < raw.Size);
            if (head is null || start != head.Start + head.Consumed || size == 0 || size > head.Size - head.Consumed || domain.Committed || Refuse(request))
            {
                return -1;
            }

            head.Consumed += size;
            domain.Segments.Add(new FakeSegment(start, size, flags, type));
            return Success(out errno);
        }

        if (request == SetConfiguration || request == SetCoreConfig)
        {
            ulong core = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            ulong index = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
            if (request == SetConfiguration)
            {
                Calls.Add(new DeviceCall("SET_DOMAIN_CONFIGURATION", fd, core, index, value));
                if (index >= 16 || domain.Committed || domain.Contexts.Count > 0 || Refuse(request)) // the monitor: sealed or frozen
                {
                    return -1;
                }

                domain.Configs[index] = value;
                return Success(out errno);
            }

            Calls.Add(new DeviceCall("SET_DOMAIN_CORE_CONFIG", fd, core, index, value));
            if (core >= 64 || (domain.Configs[5] & (1UL << (int)core)) == 0 || !domain.Contexts.TryGetValue((int)core, out SortedDictionary<ulong, ulong>? cache) || Refuse(request))
            {
                return -1;
            }

            cache[index] = value;
            return Success(out errno);
        }

        if (request == Transition)
        {
            ulong core = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            uint delta = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            Calls.Add(new DeviceCall("TRANSITION", fd, core, delta, PinnedCore()));
            bool onItsCpu = _pinned.TryGetValue(Environment.CurrentManagedThreadId, out int cpu) && (ulong)cpu == core;
            if (!domain.Committed || !domain.Contexts.ContainsKey((int)core) || !onItsCpu)
            {
                return -1;
            }

            (int result, int transitionErrno, uint error) = Transitions.Count > 0 ? Transitions.Dequeue()
                : Cpu is null ? (0, 0, 0u)
                : (0, 0, RunCpu(Cpu, domain, (int)core));
            if (result == 0)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes[12..], error); // copied back to the caller only on success
            }

            errno = transitionErrno;
            return result;
        }

        if (request == GetAttestation)
        {
            ulong start = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
            Calls.Add(new DeviceCall("GET_ATTESTATION", fd, size));
            size = Math.Min(size, 4096); // the driver caps the kernel buffer
            byte[] graph = AttestCommitted ? SerializeCommitted(domain) : Attestation;
            if ((ulong)graph.Length > size || Refuse(request))
            {
                return -1; // the engine fails OutOfMemory when the graph does not fit
            }

            graph.CopyTo(new Span<byte>((void*)start, graph.Length));
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], (ulong)graph.Length + 1); // the engine reports written + 1
            return Success(out errno);
        }

        errno = ENOTTY;
        return -1;
    }

    public ulong[]? PinToCore(int core, out int errno)
    {
        errno = 0;
        // Under the gate, as every ioctl is: callers on two cores pin and unpin while the other's TRANSITION reads the
        // table (an unguarded Dictionary write lost a thread's pin, and its TRANSITION failed EINVAL as "not on its CPU").
        lock (_gate)
        {
            Calls.Add(new DeviceCall("pin", -1, (ulong)core));
            int thread = Environment.CurrentManagedThreadId;
            ulong[] previous = [_pinned.TryGetValue(thread, out int cpu) ? (ulong)cpu : ulong.MaxValue];
            _pinned[thread] = core;
            return previous;
        }
    }

    public void RestoreAffinity(ulong[] mask)
    {
        lock (_gate)
        {
            Calls.Add(new DeviceCall("unpin", -1, mask[0]));
            if (mask[0] == ulong.MaxValue)
            {
                _pinned.Remove(Environment.CurrentManagedThreadId);
            }
            else
            {
                _pinned[Environment.CurrentManagedThreadId] = (int)mask[0];
            }
        }
    }

    public SortedDictionary<ulong, ulong> CoreFields(int fd, int core) => _domains[fd].Contexts[core];

    public ulong Configuration(int fd, int index) => _domains[fd].Configs[index];

    public void Dispose()
    {
        foreach ((nint address, _) in _mappings)
        {
            NativeMemory.AlignedFree((void*)address);
        }

        _mappings.Clear();
    }

    /// <summary>
    /// The engine's graph format (CapabilityGraphFormat) for what the device committed: one root over the domain's
    /// memory held by the manager (domain 0), and under it each segment, carved (confidential) or aliased (shared), with
    /// its rights in the monitor's order and its hash when sent with HASH, held by the domain (domain 1).
    /// </summary>
    private static byte[] SerializeCommitted(FakeDomain domain)
    {
        var bytes = new List<byte>("capa"u8.ToArray()) { CapabilityGraphFormat.RegionHeader };
        void U64(ulong value)
        {
            for (int shift = 0; shift < 64; shift += 8)
            {
                bytes.Add((byte)(value >> shift));
            }
        }

        ulong low = ulong.MaxValue;
        ulong high = 0;
        foreach (RawBlock raw in domain.Raw)
        {
            low = Math.Min(low, ToPhysical(raw.Start));
            high = Math.Max(high, ToPhysical(raw.Start) + raw.Size);
        }

        bytes.Add(CapabilityGraphFormat.RegionRoot);
        bytes.Add(0x7F);
        U64(low);
        U64(high);
        bytes.Add(CapabilityGraphFormat.RegionNoHash);
        for (int index = 0; index < domain.Segments.Count; index++)
        {
            FakeSegment segment = domain.Segments[index];
            bytes.Add(segment.Type == 1 ? CapabilityGraphFormat.RegionCarve : CapabilityGraphFormat.RegionAlias);
            bytes.AddRange(BitConverter.GetBytes(0u)); // parent: the root
            bytes.Add((byte)((segment.Flags >> 2) & 0x7F));
            U64(ToPhysical(segment.Start));
            U64(ToPhysical(segment.Start) + segment.Size);
            if (index < domain.Hashes.Count && domain.Hashes[index] is { } hash)
            {
                bytes.Add(CapabilityGraphFormat.RegionHasHash);
                U64((ulong)hash.Length);
                bytes.AddRange(hash);
            }
            else
            {
                bytes.Add(CapabilityGraphFormat.RegionNoHash);
            }
        }

        bytes.Add(CapabilityGraphFormat.EndMarker);
        bytes.Add(CapabilityGraphFormat.DomainHeader);
        U64(0);
        U64(0x3F);
        bytes.Add(CapabilityGraphFormat.DomainCapabilitiesStart);
        bytes.Add(CapabilityGraphFormat.CapabilityRegion);
        U64(0);
        bytes.Add(CapabilityGraphFormat.CapabilityDomain);
        U64(1);
        bytes.Add(CapabilityGraphFormat.DomainCapabilitiesEnd);
        U64(1);
        U64(domain.Configs[0]);
        bytes.Add(CapabilityGraphFormat.DomainCapabilitiesStart);
        for (int index = 0; index < domain.Segments.Count; index++)
        {
            bytes.Add(CapabilityGraphFormat.CapabilityRegion);
            U64((ulong)index + 1);
        }

        bytes.Add(CapabilityGraphFormat.DomainCapabilitiesEnd);
        bytes.Add(CapabilityGraphFormat.EndMarker);
        bytes.Add(CapabilityGraphFormat.EndMarker);
        return bytes.ToArray();
    }

    /// <summary>Runs the domain's CPU; an access its page tables or EPT do not allow is a MEM_FAULT exit (1).</summary>
    private static uint RunCpu(Func<FakeCpu, uint> cpu, FakeDomain domain, int core)
    {
        try
        {
            return cpu(new FakeCpu(domain.Segments, domain.Contexts[core], core));
        }
        catch (FakeCpu.Fault)
        {
            return 1;
        }
    }

    private ulong PinnedCore() => _pinned.TryGetValue(Environment.CurrentManagedThreadId, out int cpu) ? (ulong)cpu : ulong.MaxValue;

    private bool Refuse(uint request)
    {
        if (FailNext != request)
        {
            return false;
        }

        FailNext = null;
        return true;
    }

    private static int Success(out int errno)
    {
        errno = 0;
        return 0;
    }

    private sealed class FakeDomain
    {
        public ulong[] Configs { get; } = new ulong[16];

        public List<RawBlock> Raw { get; } = new();

        public List<FakeSegment> Segments { get; } = new();

        public Dictionary<int, SortedDictionary<ulong, ulong>> Contexts { get; } = new();

        public bool Committed { get; set; }

        /// <summary>Per segment, the hash the monitor took at COMMIT (HASH segments), else null.</summary>
        public List<byte[]?> Hashes { get; } = new();
    }

    private sealed class RawBlock(ulong start, ulong size)
    {
        public ulong Start { get; } = start;

        public ulong Size { get; } = size;

        public ulong Consumed { get; set; }
    }

    internal readonly record struct FakeSegment(ulong Start, ulong Size, uint Flags, uint Type);
}
