using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace TailGuard.Tests.Tyche;

/// <summary>
/// Builds SERIALIZE_ATTESTATION bytes by hand, following tyche-devel crates/capability-engine/src/serializer.rs marker by
/// marker: the oracle the simulator's output and the parser are checked against (written from the engine's code, not
/// from ours).
/// </summary>
internal sealed class EngineGraph
{
    private readonly List<byte> _bytes = [.. "capa"u8.ToArray(), 0b0000_0001];
    private bool _regionsClosed;

    public EngineGraph Root(byte ops, ulong start, ulong end) => Region(0b1000_0000, null, ops, start, end, null);

    public EngineGraph Carve(uint parent, byte ops, ulong start, ulong end, byte[]? hash = null) => Region(0b1000_0010, parent, ops, start, end, hash);

    public EngineGraph Device(byte ops, ulong start, ulong end) => Region(0b1000_0011, null, ops, start, end, null);

    public EngineGraph Alias(uint parent, byte ops, ulong start, ulong end, byte[]? hash = null) => Region(0b1000_0001, parent, ops, start, end, hash);

    public EngineGraph Domain(ulong index, ulong monitorInterface, params (bool Region, ulong Index)[] capabilities)
    {
        CloseRegions();
        U64(index);
        U64(monitorInterface);
        _bytes.Add(0b0100_0000);
        foreach ((bool region, ulong target) in capabilities)
        {
            _bytes.Add(region ? (byte)0b0010_0000 : (byte)0b0010_0001);
            U64(target);
        }

        _bytes.Add(0b0100_0001);
        return this;
    }

    public byte[] Build()
    {
        CloseRegions();
        return [.. _bytes, 0xFF, 0xFF];
    }

    private EngineGraph Region(byte kind, uint? parent, byte ops, ulong start, ulong end, byte[]? hash)
    {
        _bytes.Add(kind);
        if (parent is { } index)
        {
            Span<byte> four = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(four, index);
            _bytes.AddRange(four.ToArray());
        }

        _bytes.Add(ops);
        U64(start);
        U64(end);
        if (hash is null)
        {
            _bytes.Add(0b1000_0100);
        }
        else
        {
            _bytes.Add(0b1000_0101);
            U64((ulong)hash.Length);
            _bytes.AddRange(hash);
        }

        return this;
    }

    private void CloseRegions()
    {
        if (!_regionsClosed)
        {
            _bytes.AddRange([0xFF, 0b0000_0010]);
            _regionsClosed = true;
        }
    }

    private void U64(ulong value)
    {
        Span<byte> eight = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(eight, value);
        _bytes.AddRange(eight.ToArray());
    }
}
