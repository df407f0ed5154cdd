using System;
using System.Collections.Generic;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// The source text that reads or writes one value with the runtime's PayloadReader/PayloadWriter. A nullable value
/// (<c>string?</c>, <c>int?</c>) is a presence byte (0 or 1, docs/wire-format.md) followed by the value when present.
/// </summary>
internal static class ValueCodec
{
    public const string Stubs = "global::TailGuard.R2P2.Stubs.";
    public const string ReadOnlyBytes = "global::System.ReadOnlySpan<byte>";

    /// <summary>
    /// How the dispatcher reads one argument: <see cref="Declarations"/> before the combined read condition,
    /// <see cref="Condition"/> (true when the value was read), then <see cref="Conversions"/>, after which
    /// <c>variable</c> holds the argument.
    /// </summary>
    public readonly struct Read
    {
        public Read(List<string> declarations, string condition, List<string> conversions)
        {
            Declarations = declarations;
            Condition = condition;
            Conversions = conversions;
        }

        public List<string> Declarations { get; }

        public string Condition { get; }

        public List<string> Conversions { get; }
    }

    /// <summary>Reads <paramref name="value"/> into a new local <paramref name="variable"/>; <paramref name="temporary"/> prefixes the helper locals.</summary>
    public static Read ReadInto(string reader, ValueModel value, string variable, string temporary)
    {
        string raw = temporary + "Raw";
        if (!value.IsNullable)
        {
            var conversions = new List<string>();
            if (value.Kind == ValueKind.Enum)
            {
                conversions.Add(value.TypeName + " " + variable + " = (" + value.TypeName + ")" + raw + ";");
            }

            return new Read(new List<string>(), TryRead(reader, value, value.Kind == ValueKind.Enum ? raw : variable, declare: true), conversions);
        }

        string present = temporary + "Present";
        if (value.Kind == ValueKind.String)
        {
            // The string is read straight into the nullable local, which stays null when absent.
            return new Read(
                new List<string> { "string? " + variable + " = null;" },
                "(" + reader + ".TryReadBoolean(out bool " + present + ") && (!" + present + " || " + TryRead(reader, value, variable, declare: false) + "))",
                new List<string>());
        }

        string readType = value.Kind == ValueKind.Enum ? Keyword(value.EnumUnderlying) : ReadType(value);
        string converted = value.Kind == ValueKind.Enum ? "(" + value.TypeName + ")" + raw : raw;
        return new Read(
            new List<string> { readType + " " + raw + " = default;" },
            "(" + reader + ".TryReadBoolean(out bool " + present + ") && (!" + present + " || " + TryRead(reader, value, raw, declare: false) + "))",
            new List<string> { value.DeclaredTypeName + " " + variable + " = " + present + " ? " + converted + " : null;" });
    }

    /// <summary>
    /// A <c>TryRead</c> call of the non-nullable value into <paramref name="variable"/> (declared by the call when
    /// <paramref name="declare"/>); an enum is read as its underlying integer.
    /// </summary>
    public static string TryRead(string reader, ValueModel value, string variable, bool declare)
    {
        string target = declare ? ReadType(value) + " " + variable : variable;
        return value.Kind switch
        {
            ValueKind.Enum => reader + ".TryRead" + value.EnumUnderlying + "(out " + target + ")",
            ValueKind.Unmanaged => reader + ".TryReadUnmanaged<" + value.TypeName + ">(out " + target + ")",
            ValueKind.String => reader + ".TryReadString(" + Number(value.MaxBytes) + ", out " + target + ")",
            ValueKind.Bytes when value.MaxBytes == ValueClassifier.Unbounded => reader + ".TryReadBytes(out " + target + ")",
            ValueKind.Bytes => reader + ".TryReadBytes(out " + target + ", " + Number(value.MaxBytes) + ")",
            ValueKind.Destination => reader + ".TryReadLength(" + Number(value.MaxBytes) + ", out " + target + ")",
            ValueKind.Void => throw new InvalidOperationException("void is not read"),
            _ => reader + ".TryRead" + value.Kind + "(out " + target + ")",
        };
    }

    /// <summary>
    /// Writes the statements that write <paramref name="expression"/>. On the client a byte argument is a ReadOnlyMemory
    /// (written from its span) and a destination is its capacity (an int). A nullable value is tested into
    /// <paramref name="presentVariable"/>.
    /// </summary>
    public static void Write(SourceWriter w, string writer, ValueModel value, string expression, string presentVariable)
    {
        if (!value.IsNullable)
        {
            w.Line(WriteValue(writer, value, expression));
            return;
        }

        w.Open("if (" + expression + " is { } " + presentVariable + ")");
        w.Line(writer + ".WriteBoolean(true);");
        w.Line(WriteValue(writer, value, presentVariable));
        w.Close();
        w.Open("else");
        w.Line(writer + ".WriteBoolean(false);");
        w.Close();
    }

    private static string WriteValue(string writer, ValueModel value, string expression) => value.Kind switch
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
        _ => value.DeclaredTypeName,
    };

    // The type a TryRead call produces for the non-nullable value.
    private static string ReadType(ValueModel value) => value.Kind switch
    {
        ValueKind.String => "string",
        ValueKind.Bytes => ReadOnlyBytes,
        ValueKind.Destination => "int",
        ValueKind.Enum => Keyword(value.EnumUnderlying),
        ValueKind.Unmanaged => value.TypeName,
        _ => Keyword(value.Kind),
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


    public static string Policy(byte policy) => "global::TailGuard.R2P2.RoutingPolicy." + PolicyName(policy);

    public static string PolicyName(byte policy) => policy switch
    {
        0 => "LoadBalanced",
        1 => "Fixed",
        2 => "Replicated",
        _ => "ReplicatedReadOnly",
    };
}
