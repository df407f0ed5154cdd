using Microsoft.CodeAnalysis;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>Decides how a parameter or result type crosses the wire, or why it cannot (the reason goes into TG1001/TG1002).</summary>
internal static class ValueClassifier
{
    public const int DefaultStringMaxBytes = 4096;
    public const int DefaultDestinationMaxBytes = 65536;
    public const int Unbounded = int.MaxValue;

    /// <summary>
    /// The largest [R2P2MaxLength] bound (TG1030, docs/diagnostics/TG1030.md): 16 MiB, the client's default largest
    /// response. A bound is also what a server may rent for one argument, so a larger one lets one request cost more.
    /// </summary>
    public const int MaxBoundBytes = 16 * 1024 * 1024;

    public enum Position
    {
        Parameter,
        Return,
    }

    /// <summary>
    /// Classifies <paramref name="type"/>; returns null and a reason when it cannot cross. A nullable value type
    /// (<c>int?</c>) or an annotated string (<c>string?</c>) is the underlying value marked <see cref="ValueModel.IsNullable"/>.
    /// </summary>
    public static ValueModel? Classify(ITypeSymbol type, Position position, out string reason)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments.Length: 1 } nullable)
        {
            ValueModel? value = ClassifyNonNullable(nullable.TypeArguments[0], position, out reason);
            if (value is null)
            {
                return null;
            }

            return value.Kind is ValueKind.String or ValueKind.Bytes or ValueKind.Destination or ValueKind.Void
                ? Fail(out reason, "only value types that cross by value can be nullable")
                : value with { IsNullable = true };
        }

        ValueModel? result = ClassifyNonNullable(type, position, out reason);
        return result is { Kind: ValueKind.String } && type.NullableAnnotation == NullableAnnotation.Annotated
            ? result with { IsNullable = true }
            : result;
    }

    private static ValueModel? ClassifyNonNullable(ITypeSymbol type, Position position, out string reason)
    {
        reason = string.Empty;
        ValueKind? primitive = Primitive(type.SpecialType);
        if (primitive is ValueKind kind)
        {
            return new ValueModel(CSharpNames.FullyQualified(type), kind, ValueKind.Void, 0);
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Void when position == Position.Return:
                return Void;
            case SpecialType.System_String:
                return new ValueModel("string", ValueKind.String, ValueKind.Void, DefaultStringMaxBytes);
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
                reason = "native-sized integers have no fixed size on the wire; use int or long";
                return null;
            case SpecialType.System_Decimal:
                return new ValueModel(CSharpNames.FullyQualified(type), ValueKind.Unmanaged, ValueKind.Void, 0);
        }

        if (type.TypeKind == TypeKind.Error)
        {
            reason = "the type does not resolve";
            return null;
        }

        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            return Primitive(underlying.SpecialType) is ValueKind underlyingKind
                ? new ValueModel(CSharpNames.FullyQualified(type), ValueKind.Enum, underlyingKind, 0)
                : Fail(out reason, "its underlying type has no wire form");
        }

        if (KnownTypes.SpanElement(type, out bool writable) is { } element)
        {
            if (element.SpecialType != SpecialType.System_Byte)
            {
                return Fail(out reason, "only spans of byte cross; encode other element types as bytes");
            }

            if (position == Position.Return)
            {
                return Fail(out reason, "a returned span cannot outlive the call; write into a Span<byte> destination parameter and return the byte count");
            }

            return writable
                ? new ValueModel("global::System.Span<byte>", ValueKind.Destination, ValueKind.Void, DefaultDestinationMaxBytes)
                : new ValueModel("global::System.ReadOnlySpan<byte>", ValueKind.Bytes, ValueKind.Void, Unbounded);
        }

        if (IsTaskLike(type))
        {
            return Fail(out reason, position == Position.Return
                ? "an asynchronous service method returns ValueTask or ValueTask<T> of a type that crosses (Task allocates on every call)"
                : "tasks do not cross; pass the value they produce");
        }

        if (type.IsRefLikeType)
        {
            return Fail(out reason, "ref structs other than ReadOnlySpan<byte> and Span<byte> cannot cross");
        }

        if (type.TypeKind == TypeKind.Struct)
        {
            return type.IsUnmanagedType
                ? new ValueModel(CSharpNames.FullyQualified(type), ValueKind.Unmanaged, ValueKind.Void, 0)
                : Fail(out reason, "the struct holds references, so it has no byte representation");
        }

        return type.TypeKind switch
        {
            TypeKind.Pointer or TypeKind.FunctionPointer => Fail(out reason, "pointers are addresses in one process"),
            TypeKind.TypeParameter => Fail(out reason, "a type parameter has no wire form"),
            TypeKind.Array => Fail(out reason, "arrays do not cross; use ReadOnlySpan<byte> for bytes"),
            _ => Fail(out reason, "only primitives, enums, unmanaged structs, strings and byte spans cross"),
        };
    }

    private static ValueModel? Fail(out string reason, string why)
    {
        reason = why;
        return null;
    }

    private static ValueKind? Primitive(SpecialType type) => type switch
    {
        SpecialType.System_Boolean => ValueKind.Boolean,
        SpecialType.System_Byte => ValueKind.Byte,
        SpecialType.System_SByte => ValueKind.SByte,
        SpecialType.System_Int16 => ValueKind.Int16,
        SpecialType.System_UInt16 => ValueKind.UInt16,
        SpecialType.System_Char => ValueKind.Char,
        SpecialType.System_Int32 => ValueKind.Int32,
        SpecialType.System_UInt32 => ValueKind.UInt32,
        SpecialType.System_Int64 => ValueKind.Int64,
        SpecialType.System_UInt64 => ValueKind.UInt64,
        SpecialType.System_Single => ValueKind.Single,
        SpecialType.System_Double => ValueKind.Double,
        _ => null,
    };

    /// <summary>
    /// Whether <paramref name="type"/> is <c>ValueTask</c> (then <paramref name="awaited"/> is null: the result is void) or
    /// <c>ValueTask&lt;T&gt;</c> (then it is <c>T</c>): the result of an asynchronous service method.
    /// </summary>
    public static bool IsValueTask(ITypeSymbol type, out ITypeSymbol? awaited)
    {
        awaited = null;
        if (type is not INamedTypeSymbol { Name: "ValueTask" } named || !IsTaskLike(named) || named.TypeArguments.Length > 1)
        {
            return false;
        }

        awaited = named.TypeArguments.Length == 1 ? named.TypeArguments[0] : null;
        return true;
    }

    /// <summary>The result of a method that returns nothing (<c>void</c>, or a <c>ValueTask</c> without a result).</summary>
    public static ValueModel Void { get; } = new ValueModel("void", ValueKind.Void, ValueKind.Void, 0);

    private static bool IsTaskLike(ITypeSymbol type)
        => type is INamedTypeSymbol { Name: "Task" or "ValueTask" } named
            && named.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks";
}
