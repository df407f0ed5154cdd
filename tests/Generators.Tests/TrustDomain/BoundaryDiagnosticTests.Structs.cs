using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.TrustDomain;

/// <summary>
/// The rules for structs that cross by value (TG2014 implicit padding, TG2015 bool/decimal fields, TG2016 a layout
/// that cannot be checked, TG2004 addresses inside a struct), in every position: parameter, result, span element, and
/// in both directions ([TrustDomain] and [HostCalls]).
/// </summary>
public partial class BoundaryDiagnosticTests
{
    private const string LayoutUsings = Usings + "using System.Runtime.InteropServices;\n";

    // TG2014: implicit padding
    [Theory]
    [InlineData("public struct S { public int A; public long B; }", "4", "between 'A' and 'B'")]
    [InlineData("public struct S { public long A; public byte B; }", "7", "at the end, after 'B'")]
    [InlineData("public readonly record struct S(int X, long Y);", "4", "between 'X' and 'Y'")]
    [InlineData("public struct S { public byte A; public short B; public int C; }", "1", "between 'A' and 'B'")]
    [InlineData("public struct Inner { public byte A; public short B; } public struct S { public Inner I; public short C; }", "1", "in 'I': between 'A' and 'B'")]
    [InlineData("public struct S { }", "1", "no fields")]
    [InlineData("[StructLayout(LayoutKind.Sequential, Size = 16)] public struct S { public long A; }", "8", "at the end, after 'A'")]
    [InlineData("[StructLayout(LayoutKind.Explicit)] public struct S { [FieldOffset(0)] public int A; [FieldOffset(8)] public int B; }", "4", "offsets 4-7")]
    [InlineData("public struct S { public long A; public Int128 B; }", "8", "between 'A' and 'B'")]
    public void TG2014_reports_a_struct_parameter_with_implicit_padding(string declaration, string bytes, string where)
    {
        Diagnostic diagnostic = AssertReportsWith("TG2014", LayoutUsings + declaration + "\n[TrustDomain] public interface IDomain { void Call([|S|] value); }");
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("has " + bytes + " byte(s) of implicit padding", message, System.StringComparison.Ordinal);
        Assert.Contains(where, message, System.StringComparison.Ordinal);
        Assert.Contains("reorder its fields largest first, add explicit padding fields, or give it an explicit layout", message, System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[TrustDomain] public interface IDomain { [|S|] Call(); }")]
    [InlineData("[TrustDomain] public interface IDomain { void Call([Bounded(4)] [|ReadOnlySpan<S>|] values); }")]
    [InlineData("[TrustDomain] public interface IDomain { void Call([Bounded(4)] [|Span<S>|] values); }")]
    [InlineData("[HostCalls] public interface IHost { [|S|] Call(); }")]
    [InlineData("[HostCalls] public interface IHost { void Call([|S|] value); }")]
    public void TG2014_reports_padding_in_results_span_elements_and_both_directions(string contract)
        => AssertReports("TG2014", LayoutUsings + "public struct S { public long A; public byte B; }\n" + contract);

    /// <summary>
    /// Attack 4 as the attacker wrote it: the domain fills a span of these over a buffer that held its key and sends it
    /// to the host; the seven padding bytes after Kind carried key bytes out (seen against the code before TG2014). It no
    /// longer compiles.
    /// </summary>
    [Fact]
    public void TG2014_Attack4_the_padding_leak_contract_does_not_compile()
        => AssertReports("TG2014", Usings + """
            public record struct Stamp(long Ticks, byte Kind);

            [HostCalls]
            public interface IJournal
            {
                void Record([Bounded(4)] [|ReadOnlySpan<Stamp>|] stamps);
            }
            """);

    [Theory]
    [InlineData("public struct S { public long B; public int A; public int C; }")]
    [InlineData("public readonly record struct S(int X, int Reserved, long Y);")]
    [InlineData("[StructLayout(LayoutKind.Sequential, Pack = 1)] public struct S { public byte A; public long B; }")]
    [InlineData("[StructLayout(LayoutKind.Explicit)] public struct S { [FieldOffset(0)] public long A; [FieldOffset(0)] public int Low; [FieldOffset(4)] public int High; }")]
    [InlineData("[StructLayout(LayoutKind.Explicit, Size = 8)] public struct S { [FieldOffset(0)] public int A; [FieldOffset(4)] public int B; }")]
    [InlineData("public struct S { public Guid Id; public DateTime At; public TimeSpan For; }")]
    [InlineData("public struct S { public Int128 A; public long B; public long C; }")]
    [InlineData("public unsafe struct S { public fixed byte Name[12]; public int Length; }")]
    [InlineData("public enum E : short { A } public struct S { public E Kind; public short Other; public int More; }")]
    [InlineData("public struct Inner { public int A; public int B; } public struct S { public Inner First; public Inner Second; }")]
    public void TG2014_accepts_structs_without_implicit_padding(string declaration)
        => AssertClean(LayoutUsings + declaration + "\n[TrustDomain] public interface IDomain { S Call(S value, [Bounded(4)] ReadOnlySpan<S> values, [Bounded(4)] Span<S> output); }");

    [Fact]
    public void TG2014_reports_a_library_struct_with_padding_when_it_is_a_field()
    {
        Diagnostic diagnostic = AssertReportsWith("TG2014", Usings + "public struct S { public DateTimeOffset At; }\n[TrustDomain] public interface IDomain { void Call([|S|] value); }");
        Assert.Contains("in 'At'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), System.StringComparison.Ordinal);
    }

    // TG2015: bool and decimal fields
    [Theory]
    [InlineData("public readonly record struct S(long Amount, bool Settled, byte R1, byte R2, byte R3, int R4);", "Settled", "bool")]
    [InlineData("public struct S { public decimal Price; }", "Price", "decimal")]
    [InlineData("public struct Inner { public bool Flag; public byte A; public short B; } public struct S { public Inner I; public int C; }", "I.Flag", "bool")]
    public void TG2015_reports_a_bool_or_decimal_field_in_a_crossing_struct(string declaration, string field, string type)
    {
        Diagnostic diagnostic = AssertReportsWith("TG2015", Usings + declaration + "\n[TrustDomain] public interface IDomain { int Call([|S|] value); }");
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("field '" + field + "' is a " + type, message, System.StringComparison.Ordinal);
    }

    /// <summary>Attack 5 as the attacker wrote it (a bool field set to 2 reached the implementation); and its Iago twin, a struct result from the host.</summary>
    [Theory]
    [InlineData("[TrustDomain] public interface ILedger { int Settled([|Posting|] posting); }")]
    [InlineData("[HostCalls] public interface IHost { [|Posting|] Last(); }")]
    [InlineData("[HostCalls] public interface IHost { void Recent([Bounded(4)] [|Span<Posting>|] postings); }")]
    public void TG2015_Attack5_a_struct_with_a_bool_field_does_not_cross_in_either_direction(string contract)
        => AssertReports("TG2015", Usings + "public readonly record struct Posting(long Amount, bool Settled, byte R1, byte R2, byte R3, int R4);\n" + contract);

    [Fact]
    public void TG2015_accepts_bool_and_decimal_on_their_own_where_they_are_checked()
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { decimal Call(bool flag, decimal amount, [Bounded(4)] ReadOnlySpan<decimal> amounts, [Bounded(4)] Span<decimal> output); }");

    // TG2016: a layout that cannot be checked
    [Fact]
    public void TG2016_reports_a_struct_with_an_automatic_layout()
        => AssertReports("TG2016", LayoutUsings + "[StructLayout(LayoutKind.Auto)] public struct S { public long A; public long B; }\n[TrustDomain] public interface IDomain { void Call([|S|] value); }");

    // TG2004: an address inside a struct
    [Theory]
    [InlineData("public unsafe struct S { public byte* Data; public long Length; }")]
    [InlineData("public struct S { public nint Handle; public long Length; }")]
    public void TG2004_reports_a_struct_holding_a_pointer_or_native_integer(string declaration)
        => AssertReports("TG2004", Usings + declaration + "\n[TrustDomain] public interface IDomain { void Call([|S|] value); }");

    private static Diagnostic AssertReportsWith(string id, string markup)
    {
        AssertReports(id, markup);
        var (source, _) = Markup.Parse(markup);
        var (_, diagnostics, _) = GeneratorHarness.Run(new TrustDomainGenerator(), source);
        return Assert.Single(diagnostics);
    }
}
