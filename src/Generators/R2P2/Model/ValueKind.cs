namespace TailGuard.Generators.R2P2.Model;

/// <summary>How a parameter or result crosses the wire (docs/wire-format.md, "Encodings").</summary>
internal enum ValueKind
{
    Void,
    Boolean,
    Byte,
    SByte,
    Int16,
    UInt16,
    Char,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,

    /// <summary>An enum, encoded as its underlying integer (<see cref="ValueModel.EnumUnderlying"/>).</summary>
    Enum,

    /// <summary>Any other unmanaged struct, encoded as its in-memory bytes.</summary>
    Unmanaged,

    /// <summary>A string: u32 UTF-8 byte count, then the bytes, bounded.</summary>
    String,

    /// <summary>A <c>ReadOnlySpan&lt;byte&gt;</c> argument: u32 length, then the bytes (a view on the server).</summary>
    Bytes,

    /// <summary>A <c>Span&lt;byte&gt;</c> destination the implementation writes into; the request carries its capacity.</summary>
    Destination,
}
