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
    }

    public ulong Start { get; }

    public ulong End { get; }

    /// <summary>Access rights plus the extras SEND_REGION added.</summary>
    public MemoryRights Rights { get; set; }

    public RegionKind Kind { get; }

    public RegionNode? Parent { get; }

    public List<RegionNode> Children { get; } = new();

    /// <summary>The domain whose table holds this region's capability (exactly one; Region capabilities never duplicate).</summary>
    public DomainState? Holder { get; set; }

    /// <summary>The address at which the holder sees <see cref="Start"/>.</summary>
    public ulong MappedAt { get; set; }

    /// <summary>False once revoked (stale references to it are then ignored).</summary>
    public bool Live { get; set; } = true;

    /// <summary>Confidential: a root, or a carve of a unique region. A carve of an alias is not (the alias's parent still reaches it), as in the engine.</summary>
    public bool Unique => Kind == RegionKind.Root || (Kind == RegionKind.Carve && Parent is { Unique: true });

    public bool Overlaps(ulong start, ulong end) => start < End && Start < end;

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
