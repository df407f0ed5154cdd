namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>How a parameter crosses the boundary.</summary>
internal enum BoundaryKind
{
    /// <summary>A primitive, enum or unmanaged struct, by value in its slot.</summary>
    Scalar,

    /// <summary>A <c>bool</c>, by value, normalized on read.</summary>
    Flag,

    /// <summary><c>ReadOnlySpan&lt;T&gt;</c>: copied in once.</summary>
    In,

    /// <summary><c>Span&lt;T&gt;</c>: zero-filled privately, copied out once.</summary>
    Out,

    /// <summary><c>[InOut] Span&lt;T&gt;</c>: copied in, then out.</summary>
    InOut,

    /// <summary>A bounded UTF-8 string, in only.</summary>
    String,

    /// <summary><c>[UserCheck]</c> span of bytes: a checked view of shared memory, no copy.</summary>
    UserCheck,

    /// <summary><c>[UserCheck] Span&lt;byte&gt;</c>: as <see cref="UserCheck"/>, and writable.</summary>
    UserCheckWritable,
}
