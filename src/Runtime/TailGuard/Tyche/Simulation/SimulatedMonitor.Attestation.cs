using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Security.Cryptography;
using TailGuard.Tyche.Attestation;
using TailGuard.Tyche.Simulation.Engine;

namespace TailGuard.Tyche.Simulation;

// SERIALIZE_ATTESTATION in the engine's own format (tyche-devel crates/capability-engine/src/serializer.rs; markers in
// CapabilityGraphFormat) and signed attestation reports, which carry that graph.
public sealed partial class SimulatedMonitor
{
    /// <summary>
    /// Writes the capability graph as the engine does: every region tree in pre-order (children sorted by start), then
    /// every live domain in pool order with the regions and domains it holds. <paramref name="written"/> is the byte
    /// count (the engine reports one more; see docs/tyche.md). A too-small buffer writes nothing and fails with
    /// <see cref="MonitorError.BufferTooSmall"/>, <paramref name="written"/> then being the size needed. Caller holds the gate.
    /// </summary>
    internal MonitorError DoSerialize(Span<byte> destination, out int written)
    {
        var regionIndex = new Dictionary<RegionNode, int>();
        var domainIndex = new Dictionary<DomainState, int>();
        foreach (DomainState? domain in _domains)
        {
            if (domain is not null)
            {
                domainIndex[domain] = domainIndex.Count;
            }
        }

        var writer = new GraphWriter(destination);
        writer.Bytes(CapabilityGraphFormat.Magic);
        writer.Byte(CapabilityGraphFormat.RegionHeader);
        WriteRegion(ref writer, _rootRegion, -1, regionIndex);
        writer.Byte(CapabilityGraphFormat.EndMarker);
        writer.Byte(CapabilityGraphFormat.DomainHeader);
        foreach (DomainState? domain in _domains)
        {
            if (domain is null)
            {
                continue;
            }

            writer.UInt64((ulong)domainIndex[domain]);
            writer.UInt64(domain.Permissions[(int)PermissionIndex.MonitorInterface]);
            writer.Byte(CapabilityGraphFormat.DomainCapabilitiesStart);
            foreach (ref readonly CapabilitySlot slot in domain.Slots.AsSpan())
            {
                if (slot.Kind == CapabilityKind.Region)
                {
                    writer.Byte(CapabilityGraphFormat.CapabilityRegion);
                    writer.UInt64((ulong)regionIndex[slot.Region!]);
                }
                else if (slot.Kind == CapabilityKind.Management)
                {
                    writer.Byte(CapabilityGraphFormat.CapabilityDomain);
                    writer.UInt64((ulong)domainIndex[slot.Target!]);
                }
            }

            writer.Byte(CapabilityGraphFormat.DomainCapabilitiesEnd);
        }

        writer.Byte(CapabilityGraphFormat.EndMarker);
        writer.Byte(CapabilityGraphFormat.EndMarker);
        written = writer.Offset;
        if (writer.Overflowed)
        {
            destination.Clear();
            return MonitorError.BufferTooSmall;
        }

        return MonitorError.None;
    }

    private static void WriteRegion(ref GraphWriter writer, RegionNode node, int parent, Dictionary<RegionNode, int> indices)
    {
        int index = indices.Count;
        indices[node] = index;
        writer.Byte(node.Kind switch
        {
            RegionKind.Root => CapabilityGraphFormat.RegionRoot,
            RegionKind.Alias => CapabilityGraphFormat.RegionAlias,
            RegionKind.Carve => CapabilityGraphFormat.RegionCarve,
            _ => CapabilityGraphFormat.RegionDevice,
        });
        if (parent >= 0)
        {
            writer.UInt32((uint)parent);
        }

        writer.Byte((byte)node.Rights);
        writer.UInt64(node.Start);
        writer.UInt64(node.End);
        if (node.Hash is { } hash)
        {
            writer.Byte(CapabilityGraphFormat.RegionHasHash);
            writer.UInt64((ulong)hash.Length);
            writer.Bytes(hash);
        }
        else
        {
            writer.Byte(CapabilityGraphFormat.RegionNoHash);
        }

        foreach (RegionNode child in node.Children)
        {
            WriteRegion(ref writer, child, index, indices);
        }
    }

    /// <summary>Writes little-endian values while there is room, and counts every byte either way.</summary>
    private ref struct GraphWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Offset { get; private set; }

        public bool Overflowed { get; private set; }

        public void Byte(byte value) => Bytes([value]);

        public void UInt32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            Bytes(bytes);
        }

        public void UInt64(ulong value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            Bytes(bytes);
        }

        public void Bytes(scoped ReadOnlySpan<byte> bytes)
        {
            if (!Overflowed && bytes.Length <= _destination.Length - Offset)
            {
                bytes.CopyTo(_destination[Offset..]);
            }
            else
            {
                Overflowed = true;
            }

            Offset += bytes.Length;
        }
    }

    /// <summary>The serialized graph, sized to fit. Caller holds the gate.</summary>
    private byte[] SerializeGraph()
    {
        DoSerialize(default, out int size);
        var graph = new byte[size];
        MonitorErrors.ThrowIfFailed(DoSerialize(graph, out _), "SERIALIZE_ATTESTATION");
        return graph;
    }

    /// <summary>
    /// A signed attestation report for a sealed domain: its measurement, the caller's nonce and the whole capability graph
    /// (the engine's format) with the domain's index in it, signed with the monitor's key. Verify with
    /// <see cref="AttestationVerifier"/> and <see cref="ExportPublicKey"/>.
    /// </summary>
    /// <param name="domain">A committed (sealed) domain.</param>
    /// <param name="nonce">The verifier's fresh nonce (1-64 bytes).</param>
    /// <returns>The encoded report (format in <see cref="AttestationReport"/>).</returns>
    public byte[] CreateAttestationReport(TrustDomain domain, ReadOnlySpan<byte> nonce)
    {
        byte[] measurement;
        byte[] graph;
        int graphIndex = 0;
        lock (_gate)
        {
            DomainState state = Host(domain).State;
            measurement = state.Measurement ?? throw new MonitorException(MonitorError.InvalidOperation, "Attestation: the domain is not sealed.");
            graph = SerializeGraph();
            for (int index = 0; index < state.Index; index++)
            {
                graphIndex += _domains[index] is null ? 0 : 1;
            }
        }

        return AttestationReport.Create(domain.Id, measurement, nonce, graphIndex, graph, _signingKey);
    }

    /// <summary>
    /// Everything that defines the engine's state, canonically hashed: every domain's identity, flags, permissions,
    /// measurement, capability slots (with versions), address map and core contexts, the region trees and memory. Equal
    /// bytes mean equal state (tests use it to show a failed call changed nothing). Tombstones are bookkeeping the
    /// engine collects lazily and are left out.
    /// </summary>
    internal byte[] CaptureState()
    {
        lock (_gate)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var state = new StateHasher(hash);
            state.Add((ulong)_lastDomainId);
            foreach (DomainState? domain in _domains)
            {
                if (domain is null)
                {
                    state.Add(ulong.MaxValue);
                    continue;
                }

                state.Add((ulong)domain.Id);
                state.Add((ulong)(domain.Manager?.Id ?? -1));
                state.Add((domain.Sealed ? 1UL : 0) | (domain.Frozen ? 2UL : 0) | (domain.Revoked ? 4UL : 0));
                hash.AppendData(domain.Measurement ?? []);
                foreach (ulong permission in domain.Permissions)
                {
                    state.Add(permission);
                }

                foreach (ref readonly CapabilitySlot slot in domain.Slots.AsSpan())
                {
                    state.Add(((ulong)slot.Kind << 16) | slot.Version);
                    state.Add((ulong)(slot.Target?.Id ?? -1));
                    state.Add((ulong)slot.Core);
                    state.Add(slot.Region is null ? ulong.MaxValue : slot.Region.Start);
                    state.Add(slot.Region is null ? ulong.MaxValue : slot.Region.End);
                }

                foreach (MapEntry entry in domain.Map)
                {
                    state.Add(entry.AddressStart);
                    state.Add(entry.AddressEnd);
                    state.Add(entry.PhysicalStart);
                    state.Add((ulong)entry.Rights);
                }

                foreach (CoreContext? context in domain.Contexts)
                {
                    state.Add(context is null ? 0UL : context.Running ? 2UL : 1UL);
                    if (context is null)
                    {
                        continue;
                    }

                    foreach (ulong register in context.GeneralRegisters)
                    {
                        state.Add(register);
                    }

                    foreach ((ulong field, ulong value) in context.Fields)
                    {
                        state.Add(field);
                        state.Add(value);
                    }

                    foreach (CpuidEntry entry in context.CpuidEntries)
                    {
                        state.Add(((ulong)entry.Function << 32) | entry.Index);
                        state.Add(((ulong)entry.Result.Eax << 32) | entry.Result.Ebx);
                        state.Add(((ulong)entry.Result.Ecx << 32) | entry.Result.Edx);
                    }
                }
            }

            foreach (RegionNode node in _rootRegion.SubtreePostOrder())
            {
                state.Add(node.Start);
                state.Add(node.End);
                state.Add(((ulong)node.Rights << 8) | (ulong)node.Kind);
                state.Add((ulong)(node.Holder?.Id ?? -1));
                state.Add(node.MappedAt);
                state.Add(node.Repeat);
                hash.AppendData(node.Hash ?? []);
            }

            hash.AppendData(_memory);
            return hash.GetHashAndReset();
        }
    }

    private readonly struct StateHasher(IncrementalHash hash)
    {
        public void Add(ulong value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
            hash.AppendData(bytes);
        }
    }
}
