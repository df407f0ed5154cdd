using System;
using MemoryPack;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>A representative hot-path argument set: an id, a timestamp, a score, a flag, a tag and a 32-byte key.</summary>
[MemoryPackable]
internal partial struct ArgumentSet
{
    public int Id { get; set; }

    public long Timestamp { get; set; }

    public double Score { get; set; }

    public bool Flag { get; set; }

    public Guid Tag { get; set; }

    public byte[] Key { get; set; }
}

/// <summary>The same set plus a 16-character name (a string decodes into a new string on both sides).</summary>
[MemoryPackable]
internal partial struct ArgumentSetWithName
{
    public int Id { get; set; }

    public long Timestamp { get; set; }

    public double Score { get; set; }

    public bool Flag { get; set; }

    public Guid Tag { get; set; }

    public byte[] Key { get; set; }

    public string Name { get; set; }
}
