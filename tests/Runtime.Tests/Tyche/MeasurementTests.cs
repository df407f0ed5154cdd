using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;
using static TailGuard.Tests.Tyche.TycheKit;

namespace TailGuard.Tests.Tyche;

/// <summary>M4 and the measurement's exact definition, computed here independently with SHA256.</summary>
public sealed class MeasurementTests
{
    private static byte[] SealWith(MonitorMode mode, byte[] hashed, byte[] unhashed, out SimulatedMonitor monitor, out Child child)
    {
        monitor = Monitor(mode);
        SimulatedCore core = monitor.GetCore(0);
        core.Write(0x10000, hashed);
        core.Write(0x20000, unhashed);
        child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, MemoryRights.Read | MemoryRights.Exec, MemoryRights.Hash);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x20000, 0x21000, MemoryRights.Read | MemoryRights.Write);
        core.Seal(child.Management);
        return core.GetMeasurement(child.Management);
    }

    [Fact]
    public void M4_Compatible_changing_a_HASH_region_before_sealing_changes_the_measurement_and_non_HASH_regions_never_do()
    {
        byte[] baseline = SealWith(MonitorMode.Compatible, "code v1"u8.ToArray(), "data A"u8.ToArray(), out SimulatedMonitor m1, out _);
        byte[] changedCode = SealWith(MonitorMode.Compatible, "code v2"u8.ToArray(), "data A"u8.ToArray(), out SimulatedMonitor m2, out _);
        byte[] changedData = SealWith(MonitorMode.Compatible, "code v1"u8.ToArray(), "data B"u8.ToArray(), out SimulatedMonitor m3, out _);
        using (m1)
        using (m2)
        using (m3)
        {
            Assert.NotEqual(baseline, changedCode);
            Assert.Equal(baseline, changedData);
        }
    }

    [Fact]
    public void M4_Compatible_changing_a_HASH_region_after_sealing_does_not_change_the_stored_measurement()
    {
        byte[] sealedWith = SealWith(MonitorMode.Compatible, "code v1"u8.ToArray(), "data"u8.ToArray(), out SimulatedMonitor monitor, out Child child);
        using (monitor)
        {
            SimulatedCore core = monitor.GetCore(0);
            child.Script.Body = context =>
            {
                Assert.Equal(MonitorError.AccessDenied, context.Core.TryWrite(0x10000, "x"u8)); // read+exec only
                return DomainExit.Return;
            };
            core.Switch(child.Switch);
            SegmentResult extra = core.SegmentRegion(SimulatedMonitor.RootRegion, true, 0x30000, 0x31000, MemoryRights.Read);
            core.SendRegion(extra.ToSend, child.Management, 0x30000, false, 0x1000, MemoryRights.Hash); // compatible: allowed after sealing
            Assert.Equal(sealedWith, core.GetMeasurement(child.Management));
        }
    }

    [Fact]
    public void Compatible_the_measurement_equals_SHA256_over_HASH_regions_in_enumeration_order_computed_independently()
    {
        byte[] code = new byte[0x1000];
        byte[] table = new byte[0x2000];
        new Random(7).NextBytes(code);
        new Random(8).NextBytes(table);
        using SimulatedMonitor monitor = Monitor(MonitorMode.Compatible);
        SimulatedCore core = monitor.GetCore(0);
        core.Write(0x10000, code);
        core.Write(0x40000, table);
        Child child = NewChild(core);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x10000, 0x11000, MemoryRights.Read | MemoryRights.Exec, MemoryRights.Hash);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x20000, 0x21000, MemoryRights.Read | MemoryRights.Write);
        Give(core, SimulatedMonitor.RootRegion, child.Management, 0x40000, 0x42000, MemoryRights.Read, MemoryRights.Hash | MemoryRights.Cleanup, shared: true);
        core.Seal(child.Management);

        // The child's table: slot 0 Channel, then the regions in the order they arrived.
        byte[] expected = SHA256.HashData([
            .. Describe(0x10000, 0x11000, hash: true, exec: true, write: false, read: true, unique: true), .. code,
            .. Describe(0x40000, 0x42000, hash: true, exec: false, write: false, read: true, unique: false), .. table]);
        Assert.Equal(expected, core.GetMeasurement(child.Management));
    }

    internal static byte[] Describe(ulong start, ulong end, bool hash, bool exec, bool write, bool read, bool unique)
    {
        byte[] header = new byte[21];
        BinaryPrimitives.WriteUInt64LittleEndian(header, start);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), end);
        header[16] = hash ? (byte)1 : (byte)0;
        header[17] = exec ? (byte)1 : (byte)0;
        header[18] = write ? (byte)1 : (byte)0;
        header[19] = read ? (byte)1 : (byte)0;
        header[20] = unique ? (byte)1 : (byte)0;
        return header;
    }
}
