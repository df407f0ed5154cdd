using System.Collections.Generic;

namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>A node of a region derivation tree: a range of physical memory, its rights, its parent and children.</summary>
internal sealed class RegionNode
{
    public RegionNode(ulong start, ulong end, MemoryRights rights, RegionKind kind, RegionNode? parent, ulong mappedAt)
    {
        Start = start;
        End = end;
        Rights = rights;
        Kind = kind;
        Parent = parent;
        MappedAt = mappedAt;

        // Confidentiality is fixed at creation: a root is confidential, an alias is not, a carve inherits its parent's
        // (tyche-devel crates/capability-engine/src/segment.rs: create_root_region, alias_region, carve_region).
        Unique = kind switch
        {
            RegionKind.Root => true,
            RegionKind.Carve => parent!.Unique,
            _ => false,
        };
    }

    public ulong Start { get; }

    public ulong End { get; }

    /// <summary>Access rights plus the extras SEND_REGION added.</summary>
    public MemoryRights Rights { get; set; }

    public RegionKind Kind { get; }

    public RegionNode? Parent { get; }

    /// <summary>Children sorted by start; equal starts keep their order of creation (the engine's child list).</summary>
    public List<RegionNode> Children { get; } = new();

    /// <summary>The domain whose table holds this region's capability (exactly one; Region capabilities never duplicate).</summary>
    public DomainState? Holder { get; set; }

    /// <summary>The address at which the holder sees <see cref="Start"/>.</summary>
    public ulong MappedAt { get; set; }

    /// <summary>How many consecutive copies of the region the holder sees from <see cref="MappedAt"/> (SEND_REGION's is_repeat).</summary>
    public ulong Repeat { get; set; } = 1;

    /// <summary>SHA-256 of the region's bytes taken when it was sent with HASH (serialized in the attestation), or null.</summary>
    public byte[]? Hash { get; set; }

    /// <summary>False once revoked (stale references to it are then ignored).</summary>
    public bool Live { get; set; } = true;

    /// <summary>The confidential ("unique") flag ENUMERATE reports and the measurement hashes.</summary>
    public bool Unique { get; }

    public ulong Size => End - Start;

    public bool Overlaps(ulong start, ulong end) => start < End && Start < end;

    /// <summary>Inserts a child after every child starting at or before it, keeping the list sorted.</summary>
    public void AddChild(RegionNode child)
    {
        int at = Children.Count;
        while (at > 0 && Children[at - 1].Start > child.Start)
        {
            at--;
        }

        Children.Insert(at, child);
    }

    public IEnumerable<RegionNode> SubtreePostOrder()
    {
        foreach (RegionNode child in Children)
        {
            foreach (RegionNode node in child.SubtreePostOrder())
            {
                yield return node;
            }
        }

        yield return this;
    }
}
