using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary.Tests.Attacks;

/// <summary>
/// One domain as the monitor's attested capability graph ("capa", SERIALIZE_ATTESTATION; format in docs/tyche.md)
/// shows it: what a remote verifier sees, as opposed to what the host says.
/// </summary>
internal sealed record AttestedDomain(uint Id, bool Sealed, ulong[] Permissions, IReadOnlyList<AttestedRegion> Regions)
{
    public static AttestedDomain Read(SimulatedMonitor monitor, TrustDomain domain)
    {
        byte[] graph = new byte[64 * 1024];
        int length = monitor.SerializeAttestation(domain, graph);
        ReadOnlySpan<byte> bytes = graph.AsSpan(0, length);
        Assert.Equal("capa"u8.ToArray(), bytes[..4].ToArray());
        int count = BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]);
        int offset = 8;
        for (int index = 0; index < count; index++)
        {
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(bytes[offset..]);
            bool sealedDomain = bytes[offset + 8] != 0;
            offset += 42;
            var permissions = new ulong[16];
            for (int bitmap = 0; bitmap < 16; bitmap++, offset += 8)
            {
                permissions[bitmap] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[offset..]);
            }

            int capabilities = BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]);
            offset += 2;
            var regions = new List<AttestedRegion>();
            for (int capability = 0; capability < capabilities; capability++)
            {
                var kind = (CapabilityKind)bytes[offset + 1];
                offset += 2;
                switch (kind)
                {
                    case CapabilityKind.Management or CapabilityKind.Channel:
                        offset += 4;
                        break;
                    case CapabilityKind.Switch:
                        offset += 8;
                        break;
                    case CapabilityKind.Region:
                        regions.Add(new AttestedRegion(
                            BinaryPrimitives.ReadUInt64LittleEndian(bytes[offset..]),
                            BinaryPrimitives.ReadUInt64LittleEndian(bytes[(offset + 8)..]),
                            BinaryPrimitives.ReadUInt64LittleEndian(bytes[(offset + 16)..]),
                            (MemoryRights)bytes[offset + 24],
                            (RegionKind)bytes[offset + 25],
                            bytes[offset + 26] != 0));
                        offset += 27;
                        break;
                    default:
                        offset += 16;
                        break;
                }
            }

            if (id == (uint)domain.Id)
            {
                return new AttestedDomain(id, sealedDomain, permissions, regions);
            }
        }

        throw new InvalidOperationException($"Domain {domain.Id} is not in the attested graph.");
    }
}

internal sealed record AttestedRegion(ulong Start, ulong End, ulong MappedAt, MemoryRights Rights, RegionKind Kind, bool Unique);
