using System.Runtime.InteropServices;

namespace TailGuard.Tyche.Driver;

/// <summary>
/// The <c>/dev/tyche</c> ioctl ABI (magic 'a'), for x86-64, from the driver header's macros. Each structure's layout is
/// the C layout of the driver's message type; the numbers encode direction, size of the declared argument type
/// (a pointer, 8 bytes, for most) and the command letter.
/// </summary>
public static class DriverAbi
{
    /// <summary>The device the driver creates.</summary>
    public const string DevicePath = "/dev/tyche";

    /// <summary>The ioctl magic.</summary>
    public const byte Magic = (byte)'a';

    /// <summary>_IOWR('a', 'c', msg_info_t*): {virtaddr, physoffset, size}.</summary>
    public const uint GetPhysOffset = 0xC0086163;

    /// <summary>_IOWR('a', 'd', void*): sends the recorded segments, flushes registers, seals.</summary>
    public const uint Commit = 0xC0086164;

    /// <summary>_IOW('a', 'e', msg_mprotect_t*): records a segment, in order.</summary>
    public const uint Mprotect = 0x40086165;

    /// <summary>_IOR('a', 'f', msg_switch_t*): runs the domain on a core.</summary>
    public const uint Transition = 0x80086166;

    /// <summary>_IOR('a', 'g', msg_set_perm_t*): sets a field of a core context.</summary>
    public const uint SetDomainCoreConfig = 0x80086167;

    /// <summary>_IOR('a', 'i', msg_set_perm_t*): sets a permission bitmap.</summary>
    public const uint SetDomainConfiguration = 0x80086169;

    /// <summary>_IOW('a', 'n', usize): allocates a core context; the core travels by value.</summary>
    public const uint AllocContext = 0x4008616E;

    /// <summary>_IOWR('a', 'o', msg_create_pipe_t): creates a pipe (the structure itself, 40 bytes, sizes the number).</summary>
    public const uint CreatePipe = 0xC028616F;

    /// <summary>_IOR('a', 'p', usize): acquires a pipe by id.</summary>
    public const uint AcquirePipe = 0x80086170;

    /// <summary>_IOWR('a', 'q', attest_buffer_t*): serializes the attestation (at most 4096 bytes).</summary>
    public const uint GetAttestation = 0xC0086171;

    /// <summary>The most the driver writes for GET_ATTESTATION.</summary>
    public const int MaxAttestationLength = 4096;

    /// <summary>The transition-argument layout this backend speaks: {usize core; u32 delta; exit_reason_t error} (16 bytes), not the older {void* args}.</summary>
    public const string TransitionLayout = "msg_switch_t { usize core; uint32_t delta; exit_reason_t error; } (16 bytes)";

    /// <summary>The "domain revoked" monitor error the driver reports.</summary>
    public const int DomainRevokedError = 66;

    /// <summary>MPROTECT's <c>memory_access_right_t</c> bit 0, MEM_ACTIVE (the driver's own; the C SDK does not set it).</summary>
    public const uint MemActive = 1;

    /// <summary>MEM_CONFIDENTIAL, bit 1: the C SDK sets it on confidential segments, so the driver carves them only from a confidential region.</summary>
    public const uint MemConfidential = 2;

    /// <summary>
    /// The driver's rights are the monitor's shifted left by this: MEM_READ is bit 2, MEM_WRITE 3, MEM_EXEC 4, MEM_SUPER 5,
    /// MEM_HASH 6, MEM_CLEANUP 7, MEM_VITAL 8 (the driver's tyche_capabilities_types.h); its capability library shifts
    /// them back right by 2 before SEGMENT_REGION and SEND_REGION.
    /// </summary>
    public const int RightsShift = 2;

    /// <summary>The flags MPROTECT carries for a segment: the rights in the driver's bit order, plus MEM_CONFIDENTIAL for a confidential segment (as the C SDK's loader sets them).</summary>
    /// <param name="rights">Access rights and the extras HASH, CLEANUP, VITAL, in the monitor's order.</param>
    /// <param name="type">The segment type.</param>
    /// <returns>The <c>memory_access_right_t</c> value.</returns>
    public static uint MprotectFlags(MemoryRights rights, SegmentType type) =>
        ((uint)rights << RightsShift) | (type == SegmentType.Confidential ? MemConfidential : 0);
}

/// <summary>msg_info_t: {virtaddr, physoffset, size}.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MessageInfo
{
    public ulong VirtualAddress;
    public ulong PhysicalOffset;
    public ulong Size;
}

/// <summary>msg_mprotect_t: {usize start; usize size; memory_access_right_t flags; segment_type_t tpe} (enums are 4 bytes; flags in the driver's bit order, <see cref="DriverAbi.MprotectFlags"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MessageMprotect
{
    public ulong Start;
    public ulong Size;
    public uint Flags;
    public uint SegmentType;
}

/// <summary>msg_switch_t: {usize core; uint32_t delta; exit_reason_t error}.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MessageSwitch
{
    public ulong Core;
    public uint Delta;
    public uint Error;
}

/// <summary>msg_set_perm_t: {usize core; usize idx; usize value}.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MessageSetPermission
{
    public ulong Core;
    public ulong Index;
    public ulong Value;
}

/// <summary>msg_create_pipe_t: {usize id; usize phys_addr; usize size; memory_access_right_t flags; usize width} (4 bytes of padding after flags).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MessageCreatePipe
{
    public ulong Id;
    public ulong PhysicalAddress;
    public ulong Size;
    public uint Flags;
    public ulong Width;
}

/// <summary>attest_buffer_t: {usize start; usize size; usize written}.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttestationBuffer
{
    public ulong Start;
    public ulong Size;
    public ulong Written;
}
