using System;
using System.Buffers.Binary;
using System.Security.Cryptography;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// SERIALIZE_ATTESTATION (the capability graph, magic "capa") and signed attestation reports.
public sealed partial class SimulatedMonitor
{
    /// <summary>"capa", little-endian.</summary>
    internal const uint GraphMagic = 0x61706163;

    internal const ushort GraphVersion = 1;

    /// <summary>
    /// Writes the capability graph: header "capa", u16 version, u16 domain count; per live domain (ascending id): u32 id,
    /// u32 manager id (0xFFFFFFFF for none), u8 sealed, u8 frozen, 32-byte measurement (zero if unsealed), 16 x u64
    /// permissions, u16 capability count; per capability (ascending slot): u8 slot, u8 kind, then Management/Channel:
    /// u32 target; Switch: u32 target, u32 core; Region: u64 start, u64 end, u64 mapped-at, u8 rights, u8 region kind,
    /// u8 unique; RegionRevoke: u64 start, u64 end. All little-endian. Caller holds the gate.
    /// </summary>
    internal MonitorError DoSerialize(Span<byte> destination, out int written)
    {
        written = 0;
        int needed = 8;
        foreach (DomainState? domain in _domains)
        {
            if (domain is null)
            {
                continue;
            }

            needed += 4 + 4 + 1 + 1 + 32 + (16 * 8) + 2;
            foreach (ref readonly CapabilitySlot slot in domain.Slots.AsSpan())
            {
                needed += slot.Kind switch
                {
                    CapabilityKind.None => 0,
                    CapabilityKind.Management or CapabilityKind.Channel => 2 + 4,
                    CapabilityKind.Switch => 2 + 8,
                    CapabilityKind.Region => 2 + 27,
                    _ => 2 + 16,
                };
            }
        }

        if (destination.Length < needed)
        {
            written = needed;
            return MonitorError.BufferTooSmall;
        }

        int offset = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination, GraphMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GraphVersion);
        ushort domains = 0;
        offset = 8;
        foreach (DomainState? domain in _domains)
        {
            if (domain is null)
            {
                continue;
            }

            domains++;
            BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)domain.Index);
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(offset + 4)..], domain.Manager is null ? uint.MaxValue : (uint)domain.Manager.Index);
            destination[offset + 8] = domain.Sealed ? (byte)1 : (byte)0;
            destination[offset + 9] = domain.Frozen ? (byte)1 : (byte)0;
            Span<byte> measurement = destination.Slice(offset + 10, 32);
            measurement.Clear();
            domain.Measurement?.CopyTo(measurement);
            offset += 42;
            foreach (ulong permission in domain.Permissions)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], permission);
                offset += 8;
            }

            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], (ushort)domain.CountCapabilities());
            offset += 2;
            for (int index = 0; index < domain.Slots.Length; index++)
            {
                ref readonly CapabilitySlot slot = ref domain.Slots[index];
                if (slot.Kind == CapabilityKind.None)
                {
                    continue;
                }

                destination[offset] = (byte)index;
                destination[offset + 1] = (byte)slot.Kind;
                offset += 2;
                switch (slot.Kind)
                {
                    case CapabilityKind.Management or CapabilityKind.Channel:
                        BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)slot.Target!.Index);
                        offset += 4;
                        break;
                    case CapabilityKind.Switch:
                        BinaryPrimitives.WriteUInt32LittleEndian(destination[offset..], (uint)slot.Target!.Index);
                        BinaryPrimitives.WriteUInt32LittleEndian(destination[(offset + 4)..], (uint)slot.Core);
                        offset += 8;
                        break;
                    case CapabilityKind.Region:
                        BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], slot.Region!.Start);
                        BinaryPrimitives.WriteUInt64LittleEndian(destination[(offset + 8)..], slot.Region.End);
                        BinaryPrimitives.WriteUInt64LittleEndian(destination[(offset + 16)..], slot.Region.MappedAt);
                        destination[offset + 24] = (byte)slot.Region.Rights;
                        destination[offset + 25] = (byte)slot.Region.Kind;
                        destination[offset + 26] = slot.Region.Unique ? (byte)1 : (byte)0;
                        offset += 27;
                        break;
                    default:
                        BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], slot.Region!.Start);
                        BinaryPrimitives.WriteUInt64LittleEndian(destination[(offset + 8)..], slot.Region.End);
                        offset += 16;
                        break;
                }
            }
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], domains);
        written = offset;
        return MonitorError.None;
    }

    /// <summary>
    /// A signed attestation report for a sealed domain: its measurement and the caller's nonce, signed with the monitor's
    /// key. Verify with <see cref="AttestationVerifier"/> and <see cref="ExportPublicKey"/>.
    /// </summary>
    /// <param name="domain">A committed (sealed) domain.</param>
    /// <param name="nonce">The verifier's fresh nonce (1-64 bytes).</param>
    /// <returns>The encoded report (format in <see cref="AttestationReport"/>).</returns>
    public byte[] CreateAttestationReport(TrustDomain domain, ReadOnlySpan<byte> nonce)
    {
        byte[] measurement;
        lock (_gate)
        {
            DomainState state = Host(domain).State;
            measurement = state.Measurement ?? throw new MonitorException(MonitorError.InvalidOperation, "Attestation: the domain is not sealed.");
        }

        return AttestationReport.Create(domain.Id, measurement, nonce, _signingKey);
    }

    /// <summary>
    /// Everything that defines the engine's state, canonically encoded: the capability graph, slot versions, register
    /// files, mapping generations and a hash of memory. Equal bytes mean equal state (tests use it to show a failed call
    /// changed nothing).
    /// </summary>
    internal byte[] CaptureState()
    {
        lock (_gate)
        {
            DoSerialize(default, out int size);
            var graph = new byte[size];
            DoSerialize(graph, out _);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(graph);
            Span<byte> scratch = stackalloc byte[8];
            foreach (DomainState? domain in _domains)
            {
                if (domain is null)
                {
                    continue;
                }

                foreach (ref readonly CapabilitySlot slot in domain.Slots.AsSpan())
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(scratch, slot.Version);
                    hash.AppendData(scratch[..2]);
                }

                foreach (MapEntry entry in domain.Map)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(scratch, entry.AddressStart);
                    hash.AppendData(scratch);
                    BinaryPrimitives.WriteUInt64LittleEndian(scratch, entry.AddressEnd);
                    hash.AppendData(scratch);
                }

                foreach (CoreContext? context in domain.Contexts)
                {
                    scratch[0] = context is null ? (byte)0 : context.Running ? (byte)2 : (byte)1;
                    hash.AppendData(scratch[..1]);
                    if (context is null)
                    {
                        continue;
                    }

                    foreach ((ulong field, ulong value) in context.Fields)
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(scratch, field);
                        hash.AppendData(scratch);
                        BinaryPrimitives.WriteUInt64LittleEndian(scratch, value);
                        hash.AppendData(scratch);
                    }
                }
            }

            hash.AppendData(_memory);
            return hash.GetHashAndReset();
        }
    }
}
