using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TailGuard.Tyche;
using TailGuard.Tests.Tyche.Driver;
using TailGuard.Tyche.Driver;

namespace TailGuard.Tests.Tyche;

/// <summary>The /dev/tyche ABI: ioctl numbers recomputed from the _IOC macros, structure layouts, and failing clearly without the device.</summary>
public sealed class DriverAbiTests
{
    // Linux's asm-generic/ioctl.h: nr bits 0-7, type 8-15, size 16-29, direction 30-31 (write 1, read 2).
    private const uint IocWrite = LinuxIoctl.Write;
    private const uint IocRead = LinuxIoctl.Read;
    private const int PointerSize = LinuxIoctl.PointerSize;

    private static uint Ioc(uint direction, char type, char nr, int size) => LinuxIoctl.Ioc(direction, type, nr, size);

    public static TheoryData<string, uint, uint, uint> Numbers => new()
    {
        // name, the constant in the backend, recomputed from the macro, the value in docs/design/tyche.md's table
        { "GET_PHYSOFFSET", DriverAbi.GetPhysOffset, Ioc(IocRead | IocWrite, 'a', 'c', PointerSize), 0xC0086163 },
        { "COMMIT", DriverAbi.Commit, Ioc(IocRead | IocWrite, 'a', 'd', PointerSize), 0xC0086164 },
        { "MPROTECT", DriverAbi.Mprotect, Ioc(IocWrite, 'a', 'e', PointerSize), 0x40086165 },
        { "TRANSITION", DriverAbi.Transition, Ioc(IocRead, 'a', 'f', PointerSize), 0x80086166 },
        { "SET_DOMAIN_CORE_CONFIG", DriverAbi.SetDomainCoreConfig, Ioc(IocRead, 'a', 'g', PointerSize), 0x80086167 },
        { "SET_DOMAIN_CONFIGURATION", DriverAbi.SetDomainConfiguration, Ioc(IocRead, 'a', 'i', PointerSize), 0x80086169 },
        { "ALLOC_CONTEXT", DriverAbi.AllocContext, Ioc(IocWrite, 'a', 'n', sizeof(ulong)), 0x4008616E },
        { "CREATE_PIPE", DriverAbi.CreatePipe, Ioc(IocRead | IocWrite, 'a', 'o', Marshal.SizeOf<MessageCreatePipe>()), 0xC028616F },
        { "ACQUIRE_PIPE", DriverAbi.AcquirePipe, Ioc(IocRead, 'a', 'p', sizeof(ulong)), 0x80086170 },
        { "GET_ATTESTATION", DriverAbi.GetAttestation, Ioc(IocRead | IocWrite, 'a', 'q', PointerSize), 0xC0086171 },
    };

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Ioctl_numbers_match_the_macros_and_the_table(string name, uint constant, uint fromMacro, uint fromTable)
    {
        Assert.True(constant == fromMacro, $"{name}: 0x{constant:X8} vs macro 0x{fromMacro:X8}");
        Assert.True(constant == fromTable, $"{name}: 0x{constant:X8} vs table 0x{fromTable:X8}");
    }

    [Fact]
    public void Message_structures_have_the_C_layout_of_x86_64()
    {
        Assert.Equal(24, Marshal.SizeOf<MessageInfo>());
        Assert.Equal(16, (int)Marshal.OffsetOf<MessageInfo>(nameof(MessageInfo.Size)));

        Assert.Equal(24, Marshal.SizeOf<MessageMprotect>());
        Assert.Equal(8, (int)Marshal.OffsetOf<MessageMprotect>(nameof(MessageMprotect.Size)));
        Assert.Equal(16, (int)Marshal.OffsetOf<MessageMprotect>(nameof(MessageMprotect.Flags)));
        Assert.Equal(20, (int)Marshal.OffsetOf<MessageMprotect>(nameof(MessageMprotect.SegmentType)));

        Assert.Equal(16, Marshal.SizeOf<MessageSwitch>());
        Assert.Equal(16, Unsafe.SizeOf<MessageSwitch>());
        Assert.Equal(8, (int)Marshal.OffsetOf<MessageSwitch>(nameof(MessageSwitch.Delta)));
        Assert.Equal(12, (int)Marshal.OffsetOf<MessageSwitch>(nameof(MessageSwitch.Error)));

        Assert.Equal(24, Marshal.SizeOf<MessageSetPermission>());
        Assert.Equal(8, (int)Marshal.OffsetOf<MessageSetPermission>(nameof(MessageSetPermission.Index)));
        Assert.Equal(16, (int)Marshal.OffsetOf<MessageSetPermission>(nameof(MessageSetPermission.Value)));

        Assert.Equal(40, Marshal.SizeOf<MessageCreatePipe>());
        Assert.Equal(24, (int)Marshal.OffsetOf<MessageCreatePipe>(nameof(MessageCreatePipe.Flags)));
        Assert.Equal(32, (int)Marshal.OffsetOf<MessageCreatePipe>(nameof(MessageCreatePipe.Width)));

        Assert.Equal(24, Marshal.SizeOf<AttestationBuffer>());
        Assert.Equal(16, (int)Marshal.OffsetOf<AttestationBuffer>(nameof(AttestationBuffer.Written)));
    }

    [Fact]
    public void Enumerations_carry_the_abi_values()
    {
        Assert.Equal([0, 1, 2, 3, 4, 5], Enum.GetValues<SegmentType>().Select(value => (int)value));
        Assert.Equal([0, 1, 2, 3, 4, 5], Enum.GetValues<ExitReason>().Select(value => (int)value));
        Assert.Equal(66, (int)MonitorError.DomainRevoked);
        Assert.Equal(DriverAbi.DomainRevokedError, (int)MonitorError.DomainRevoked);
        Assert.Equal(
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 21, 22, 23, 24, 26],
            Enum.GetValues<MonitorCall>().Select(value => (int)value));
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128], new[] { MemoryRights.Read, MemoryRights.Write, MemoryRights.Exec, MemoryRights.Super, MemoryRights.Hash, MemoryRights.Cleanup, MemoryRights.Vital, MemoryRights.Uncacheable }.Select(value => (int)value));
        Assert.Equal([1UL, 2, 4, 8, 16, 32], new[] { MonitorInterfaceRights.Spawn, MonitorInterfaceRights.Send, MonitorInterfaceRights.Duplicate, MonitorInterfaceRights.Alias, MonitorInterfaceRights.Carve, MonitorInterfaceRights.Cpuid }.Select(value => (ulong)value));
        Assert.Equal([1, 2, 3, 4, 5], new[] { CapabilityKind.Management, CapabilityKind.Channel, CapabilityKind.Switch, CapabilityKind.Region, CapabilityKind.RegionRevoke }.Select(value => (int)value));
        Assert.Equal(Enumerable.Range(0, 16), Enum.GetValues<PermissionIndex>().Select(value => (int)value));
        Assert.Equal(MonitorStatus.Failure, MonitorErrors.ToWireStatus(MonitorError.AlreadySealed));
        Assert.Equal(MonitorStatus.Success, MonitorErrors.ToWireStatus(MonitorError.None));
        Assert.Equal(2, (int)MonitorStatus.SwitchInterrupted);
    }

    [Fact]
    public void Opening_without_the_device_fails_naming_the_device_and_what_is_missing()
    {
        string missing = Path.Combine(Path.GetTempPath(), "tailguard-no-such-device", "tyche");
        var exception = Assert.Throws<MonitorException>(() => new DriverMonitor(missing));
        Assert.True(exception.Error is MonitorError.DeviceError or MonitorError.NotSupported);
        if (exception.Error == MonitorError.DeviceError)
        {
            Assert.Contains(missing, exception.Message, StringComparison.Ordinal);
            Assert.Contains("driver", exception.Message, StringComparison.Ordinal);
        }

        if (!File.Exists(DriverAbi.DevicePath))
        {
            var real = Assert.Throws<MonitorException>(() => new DriverMonitor());
            Assert.Contains(real.Error == MonitorError.DeviceError ? "/dev/tyche" : "SimulatedMonitor", real.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_backend_states_the_transition_layout_it_speaks()
    {
        Assert.Contains("uint32_t delta", DriverAbi.TransitionLayout, StringComparison.Ordinal);
        Assert.Contains("16 bytes", DriverAbi.TransitionLayout, StringComparison.Ordinal);
    }
}
