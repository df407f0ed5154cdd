using System;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>The source text that reads or writes one value with the runtime's PayloadReader/PayloadWriter.</summary>
internal static class ValueCodec
{
    public const string Stubs = "global::TailGuard.R2P2.Stubs.";
    public const string ReadOnlyBytes = "global::System.ReadOnlySpan<byte>";

    /// <summary>
    /// A <c>TryRead</c> call that declares <paramref name="variable"/>; an enum is read into <paramref name="rawVariable"/>
    /// and must be converted with <see cref="EnumConversion"/>.
    /// </summary>
    public static string TryRead(string reader, ValueModel value, string variable, string rawVariable) => value.Kind switch
    {
        ValueKind.Enum => reader + ".TryRead" + value.EnumUnderlying + "(out " + Keyword(value.EnumUnderlying) + " " + rawVariable + ")",
        ValueKind.Unmanaged => reader + ".TryReadUnmanaged<" + value.TypeName + ">(out " + value.TypeName + " " + variable + ")",
        ValueKind.String => reader + ".TryReadString(" + Number(value.MaxBytes) + ", out string " + variable + ")",
        ValueKind.Bytes when value.MaxBytes == ValueClassifier.Unbounded => reader + ".TryReadBytes(out " + ReadOnlyBytes + " " + variable + ")",
        ValueKind.Bytes => reader + ".TryReadBytes(out " + ReadOnlyBytes + " " + variable + ", " + Number(value.MaxBytes) + ")",
        ValueKind.Destination => reader + ".TryReadLength(" + Number(value.MaxBytes) + ", out int " + variable + ")",
        ValueKind.Void => throw new InvalidOperationException("void is not read"),
        _ => reader + ".TryRead" + value.Kind + "(out " + Keyword(value.Kind) + " " + variable + ")",
    };

    /// <summary>The declaration that turns an enum's raw integer into the enum, or null for other kinds.</summary>
    public static string? EnumConversion(ValueModel value, string variable, string rawVariable)
        => value.Kind == ValueKind.Enum ? value.TypeName + " " + variable + " = (" + value.TypeName + ")" + rawVariable + ";" : null;

    /// <summary>
    /// The statement that writes <paramref name="expression"/>. On the client a byte argument is a ReadOnlyMemory
    /// (written from its span) and a destination is its capacity (an int).
    /// </summary>
    public static string Write(string writer, ValueModel value, string expression) => value.Kind switch
    {
        ValueKind.Enum => writer + ".Write" + value.EnumUnderlying + "((" + Keyword(value.EnumUnderlying) + ")" + expression + ");",
        ValueKind.Unmanaged => writer + ".WriteUnmanaged(in " + expression + ");",
        ValueKind.String => writer + ".WriteString(" + expression + ");",
        ValueKind.Bytes => writer + ".WriteBytes(" + expression + ".Span);",
        ValueKind.Destination => writer + ".WriteUInt32((uint)" + expression + ");",
        ValueKind.Void => throw new InvalidOperationException("void is not written"),
        _ => writer + ".Write" + value.Kind + "(" + expression + ");",
    };

    /// <summary>The type a value has on the async client (and in its state tuple).</summary>
    public static string ClientType(ValueModel value) => value.Kind switch
    {
        ValueKind.Bytes => "global::System.ReadOnlyMemory<byte>",
        ValueKind.Destination => "int",
        _ => value.TypeName,
    };

    public static string Keyword(ValueKind kind) => kind switch
    {
        ValueKind.Boolean => "bool",
        ValueKind.Byte => "byte",
        ValueKind.SByte => "sbyte",
        ValueKind.Int16 => "short",
        ValueKind.UInt16 => "ushort",
        ValueKind.Char => "char",
        ValueKind.Int32 => "int",
        ValueKind.UInt32 => "uint",
        ValueKind.Int64 => "long",
        ValueKind.UInt64 => "ulong",
        ValueKind.Single => "float",
        ValueKind.Double => "double",
        _ => throw new InvalidOperationException(kind + " has no keyword"),
    };

    public static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string MethodId(ushort id) => "0x" + id.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);

    public static string Policy(byte policy) => "global::TailGuard.R2P2.RoutingPolicy." + policy switch
    {
        0 => "LoadBalanced",
        1 => "Fixed",
        2 => "Replicated",
        _ => "ReplicatedReadOnly",
    };
}
