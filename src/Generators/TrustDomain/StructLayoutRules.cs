using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Common;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// The rules for a struct that crosses a trust boundary by value (a parameter, a result or a span element). A struct is
/// copied whole, so every byte of it crosses: implicit padding would carry whatever memory the sender's copy held
/// (TG2014), a layout the runtime chooses cannot be checked for padding (TG2016), and a <c>bool</c> or <c>decimal</c>
/// field would let the other side write a bit pattern the type does not allow, which is validated only where such a
/// value crosses on its own (TG2015). Pointers and native-sized integers inside a struct are addresses (TG2004).
/// The layout is computed as the runtime lays a struct out: fields in declaration order at their natural alignment (8
/// at most, 16 for <c>Int128</c>), or at their <c>[FieldOffset]</c> for an explicit layout, honouring <c>Pack</c> and
/// <c>Size</c>.
/// </summary>
internal static class StructLayoutRules
{
    private const int LayoutSequential = 0;
    private const int LayoutExplicit = 2;
    private const int LayoutAuto = 3;
    private const int MaxDepth = 16;

    /// <summary>The first rule <paramref name="type"/> breaks, as a diagnostic at <paramref name="location"/>, or null.</summary>
    /// <param name="type">The declared type (or span element type).</param>
    /// <param name="location">Where to report.</param>
    /// <param name="what">"Parameter 'x'", "The result", or "The elements of parameter 'x'".</param>
    /// <param name="method">The method's name.</param>
    public static DiagnosticInfo? Check(ITypeSymbol type, LocationInfo? location, string what, string method)
    {
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Struct } named || Primitive(named) is not null)
        {
            return null; // primitives and enums: no fields, no padding (a top-level bool or decimal is checked at run time)
        }

        string display = type.ToDisplayString();
        Layout layout = Measure(named, 0);
        return layout.Problem switch
        {
            null => null,
            { Kind: ProblemKind.Padding } p => DiagnosticInfo.Create(TrustDomainDiagnostics.StructPadding, location, what, method, display, p.Bytes.ToString(CultureInfo.InvariantCulture), p.Where),
            { Kind: ProblemKind.InvalidPatterns } p => DiagnosticInfo.Create(TrustDomainDiagnostics.StructInvalidField, location, what, method, display, p.Where, p.TypeName),
            { Kind: ProblemKind.Unknown } p => DiagnosticInfo.Create(TrustDomainDiagnostics.StructLayoutUnknown, location, what, method, display, p.Where),
            { } p => DiagnosticInfo.Create(TrustDomainDiagnostics.TypeCannotCross, location, what, method, display, p.Where),
        };
    }

    private static Layout Measure(INamedTypeSymbol type, int depth)
    {
        if (Primitive(type) is { } primitive)
        {
            return primitive;
        }

        if (depth > MaxDepth)
        {
            return Layout.Failed(new Problem(ProblemKind.Unknown, 0, "its fields nest too deep to check", string.Empty));
        }

        (int kind, int pack, int size) = DeclaredLayout(type);
        if (kind == LayoutAuto)
        {
            return Layout.Failed(new Problem(ProblemKind.Unknown, 0, "it is declared [StructLayout(LayoutKind.Auto)], so the runtime chooses where its fields go", string.Empty));
        }

        var fields = new List<(IFieldSymbol Field, Layout Layout, int? Offset)>();
        foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst))
        {
            string name = FieldName(field);
            Layout fieldLayout;
            if (field.IsFixedSizeBuffer && field.Type is IPointerTypeSymbol { PointedAtType: INamedTypeSymbol element } && Primitive(element) is { } item)
            {
                fieldLayout = new Layout(item.Size * field.FixedSize, item.Align, null);
            }
            else if (field.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol || field.Type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
            {
                return Layout.Failed(new Problem(ProblemKind.Address, 0, "it holds '" + name + "', a pointer or native-sized integer: an address means nothing on the other side", string.Empty));
            }
            else if (field.Type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Decimal)
            {
                return Layout.Failed(new Problem(ProblemKind.InvalidPatterns, 0, name, field.Type.SpecialType == SpecialType.System_Boolean ? "bool" : "decimal"));
            }
            else if (field.Type is INamedTypeSymbol { TypeKind: TypeKind.Struct or TypeKind.Enum } nested)
            {
                fieldLayout = Measure(nested, depth + 1);
                if (fieldLayout.Problem is { } inner)
                {
                    return Layout.Failed(inner with { Where = Within(name, inner) });
                }
            }
            else
            {
                // A reference field: TG2004 already reports the struct as holding references (it is not unmanaged).
                return Layout.Failed(new Problem(ProblemKind.Address, 0, "it holds '" + name + "', a reference", string.Empty));
            }

            fields.Add((field, fieldLayout, kind == LayoutExplicit ? FieldOffset(field) : null));
        }

        if (fields.Count == 0)
        {
            return type.Locations.Any(l => l.IsInSource)
                ? Layout.Failed(new Problem(ProblemKind.Padding, 1, "it has no fields, so its one byte is padding", string.Empty))
                : Layout.Failed(new Problem(ProblemKind.Unknown, 0, "it comes from another assembly that does not show its fields", string.Empty));
        }

        return kind == LayoutExplicit ? MeasureExplicit(fields, pack, size) : MeasureSequential(fields, pack, size);
    }

    private static Layout MeasureSequential(List<(IFieldSymbol Field, Layout Layout, int? Offset)> fields, int pack, int declaredSize)
    {
        int offset = 0;
        int align = 1;
        string previous = "the start";
        foreach ((IFieldSymbol field, Layout layout, _) in fields)
        {
            int fieldAlign = pack > 0 ? Math.Min(layout.Align, pack) : layout.Align;
            int aligned = AlignUp(offset, fieldAlign);
            if (aligned > offset)
            {
                return Layout.Failed(new Problem(ProblemKind.Padding, aligned - offset, "between " + previous + " and '" + FieldName(field) + "' (offset " + offset.ToString(CultureInfo.InvariantCulture) + ")", string.Empty));
            }

            offset += layout.Size;
            align = Math.Max(align, fieldAlign);
            previous = "'" + FieldName(field) + "'";
        }

        int size = Math.Max(AlignUp(offset, align), declaredSize);
        return size > offset
            ? Layout.Failed(new Problem(ProblemKind.Padding, size - offset, "at the end, after " + previous + " (offset " + offset.ToString(CultureInfo.InvariantCulture) + " of " + size.ToString(CultureInfo.InvariantCulture) + ")", string.Empty))
            : new Layout(size, align, null);
    }

    private static Layout MeasureExplicit(List<(IFieldSymbol Field, Layout Layout, int? Offset)> fields, int pack, int declaredSize)
    {
        int end = 0;
        int align = 1;
        foreach ((IFieldSymbol field, Layout layout, int? offset) in fields)
        {
            if (offset is not { } at || at < 0)
            {
                return Layout.Failed(new Problem(ProblemKind.Unknown, 0, "its field '" + FieldName(field) + "' has no [FieldOffset]", string.Empty));
            }

            end = Math.Max(end, at + layout.Size);
            align = Math.Max(align, pack > 0 ? Math.Min(layout.Align, pack) : layout.Align);
        }

        int size = Math.Max(AlignUp(end, align), declaredSize);
        var covered = new bool[size];
        foreach ((_, Layout layout, int? offset) in fields)
        {
            for (int index = offset!.Value; index < offset.Value + layout.Size; index++)
            {
                covered[index] = true;
            }
        }

        int gap = Array.IndexOf(covered, false);
        if (gap < 0)
        {
            return new Layout(size, align, null);
        }

        int length = 0;
        while (gap + length < size && !covered[gap + length])
        {
            length++;
        }

        return Layout.Failed(new Problem(ProblemKind.Padding, covered.Count(c => !c), "no field covers offsets " + gap.ToString(CultureInfo.InvariantCulture) + "-" + (gap + length - 1).ToString(CultureInfo.InvariantCulture), string.Empty));
    }

    /// <summary>Size and alignment of a type without fields of its own to walk, or null for a struct to measure.</summary>
    private static Layout? Primitive(INamedTypeSymbol type)
    {
        if (type.TypeKind == TypeKind.Enum && type.EnumUnderlyingType is { } underlying)
        {
            return Primitive(underlying);
        }

        int size = type.SpecialType switch
        {
            SpecialType.System_Boolean or SpecialType.System_Byte or SpecialType.System_SByte => 1,
            SpecialType.System_Char or SpecialType.System_Int16 or SpecialType.System_UInt16 => 2,
            SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
            SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Double or SpecialType.System_DateTime => 8,
            SpecialType.System_Decimal => 16,
            _ => 0,
        };
        if (size > 0)
        {
            return new Layout(size, Math.Min(size, 8), null);
        }

        return type.ContainingNamespace?.ToDisplayString() == "System" && type.Name is "Int128" or "UInt128" && type.Arity == 0
            ? new Layout(16, 16, null) // 16-byte aligned by the runtime (the platform ABI), not 8 as its two ulong fields suggest
            : null;
    }

    /// <summary>The [StructLayout] the source declares (kind, Pack, Size); sequential when none.</summary>
    private static (int Kind, int Pack, int Size) DeclaredLayout(INamedTypeSymbol type)
    {
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "StructLayoutAttribute" } attributeClass
                && attributeClass.ContainingNamespace?.ToDisplayString() == "System.Runtime.InteropServices")
            {
                int kind = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int k ? k : LayoutSequential;
                int pack = 0;
                int size = 0;
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (named.Key == "Pack" && named.Value.Value is int p)
                    {
                        pack = p;
                    }
                    else if (named.Key == "Size" && named.Value.Value is int s)
                    {
                        size = s;
                    }
                }

                return (kind, pack, size);
            }
        }

        return (LayoutSequential, 0, 0);
    }

    private static int? FieldOffset(IFieldSymbol field)
    {
        foreach (AttributeData attribute in field.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "FieldOffsetAttribute" } && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int offset)
            {
                return offset;
            }
        }

        return null;
    }

    /// <summary>The field's name as its author wrote it (a record's or auto-property's backing field by its property).</summary>
    private static string FieldName(IFieldSymbol field) => field.AssociatedSymbol?.Name ?? field.Name;

    private static string Within(string field, Problem inner) => inner.Kind switch
    {
        ProblemKind.InvalidPatterns => field + "." + inner.Where,
        _ => "in '" + field + "': " + inner.Where,
    };

    private static int AlignUp(int value, int align) => (value + align - 1) / align * align;

    private enum ProblemKind
    {
        Padding,
        InvalidPatterns,
        Unknown,
        Address,
    }

    /// <summary>A rule broken: how many padding bytes, where (a field path or a description), and the offending field's type.</summary>
    private sealed record Problem(ProblemKind Kind, int Bytes, string Where, string TypeName);

    private sealed record Layout(int Size, int Align, Problem? Problem)
    {
        public static Layout Failed(Problem problem) => new(0, 1, problem);
    }
}
