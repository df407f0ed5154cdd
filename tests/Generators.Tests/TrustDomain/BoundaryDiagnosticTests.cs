using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.TrustDomain;

/// <summary>
/// Every TG2xxx rule (behaviour B11): the positive case reports that rule at the marked span and generates nothing; the
/// negative case (the nearest valid declaration) reports nothing and generates code that compiles.
/// </summary>
public partial class BoundaryDiagnosticTests
{
    private const string Usings = "using System;\nusing TailGuard;\n";

    // TG2001: a buffer without a direction
    [Theory]
    [InlineData("byte[]")]
    [InlineData("Memory<byte>")]
    [InlineData("ReadOnlyMemory<byte>")]
    [InlineData("ArraySegment<byte>")]
    [InlineData("int[]")]
    public void TG2001_reports_a_buffer_without_a_direction(string type)
        => AssertReports("TG2001", Usings + "[TrustDomain] public interface IDomain { void Call([|" + type + "|] data); }");

    [Theory]
    [InlineData("[Bounded(8)] ReadOnlySpan<byte>")]
    [InlineData("[Bounded(8)] Span<byte>")]
    [InlineData("[InOut, Bounded(8)] Span<byte>")]
    public void TG2001_accepts_a_span_with_a_direction(string type)
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { void Call(" + type + " data); }");

    // TG2002: strings cross in only
    [Theory]
    [InlineData("public interface IDomain { [|string|] Name(); }")]
    [InlineData("public interface IDomain { void Name([|out string name|]); }")]
    [InlineData("public interface IDomain { void Name([|ref string name|]); }")]
    [InlineData("public interface IDomain { void Name([[|InOut|]] string name); }")]
    public void TG2002_reports_a_string_that_would_cross_outward(string body)
        => AssertReports("TG2002", Usings + "[TrustDomain] " + body);

    [Fact]
    public void TG2002_accepts_an_in_string_with_or_without_a_bound()
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { void Name(string a, [Bounded(10)] string b); }");

    // TG2003: user_check with a direction, or on something that is not a byte span
    [Theory]
    [InlineData("[UserCheck, [|InOut|], Bounded(8)] Span<byte>")]
    [InlineData("[[|UserCheck|]] string")]
    [InlineData("[[|UserCheck|], Bounded(8)] ReadOnlySpan<int>")]
    public void TG2003_reports_user_check_combined_with_a_direction_or_misplaced(string parameter)
        => AssertReports("TG2003", Usings + "[TrustDomain] public interface IDomain { void Call(" + parameter + " data); }", alsoWarns: "TG2009");

    // TG2004: a type that cannot cross
    [Theory]
    [InlineData("object")]
    [InlineData("dynamic")]
    [InlineData("Version")]
    [InlineData("IDisposable")]
    [InlineData("Action")]
    [InlineData("int*")]
    [InlineData("delegate*<void>")]
    [InlineData("nint")]
    [InlineData("WithReference")]
    public void TG2004_reports_a_parameter_type_that_cannot_cross(string type)
        => AssertReports("TG2004", Usings + "public struct WithReference { public string Name; }\n[TrustDomain] public unsafe interface IDomain { void Call([|" + type + "|] value); }");

    [Theory]
    [InlineData("[Bounded(4)] ReadOnlySpan<string>")]
    [InlineData("[Bounded(4)] Span<bool>")]
    public void TG2004_reports_a_span_whose_elements_cannot_cross(string type)
    {
        int space = type.IndexOf(' ');
        AssertReports("TG2004", Usings + "[TrustDomain] public interface IDomain { void Call(" + type[..(space + 1)] + "[|" + type[(space + 1)..] + "|] value); }");
    }

    [Theory]
    [InlineData("object")]
    [InlineData("ReadOnlySpan<byte>")]
    [InlineData("byte[]")]
    [InlineData("System.Threading.Tasks.Task")]
    public void TG2004_reports_a_return_type_that_cannot_cross(string type)
        => AssertReports("TG2004", Usings + "[TrustDomain] public interface IDomain { [|" + type + "|] Call(); }");

    [Theory]
    [InlineData("int")]
    [InlineData("Guid")]
    [InlineData("DateTime")]
    [InlineData("Plain")]
    [InlineData("DayOfWeek")]
    public void TG2004_accepts_values_that_cross(string type)
        => AssertClean(Usings + "public struct Plain { public int A; public int Spare; public double B; }\n[TrustDomain] public interface IDomain { " + type + " Call(" + type + " value); }");

    // TG2005: a span without a bound
    [Theory]
    [InlineData("ReadOnlySpan<byte>")]
    [InlineData("Span<long>")]
    public void TG2005_reports_a_span_without_a_bound(string type)
        => AssertReports("TG2005", Usings + "[TrustDomain] public interface IDomain { void Call([|" + type + " data|]); }");

    // TG2006: by reference
    [Theory]
    [InlineData("[|ref int value|]")]
    [InlineData("[|out int value|]")]
    [InlineData("[|in int value|]")]
    [InlineData("[|ref readonly int value|]")]
    public void TG2006_reports_a_by_reference_parameter(string parameter)
        => AssertReports("TG2006", Usings + "[TrustDomain] public interface IDomain { void Call(" + parameter + "); }");

    [Fact]
    public void TG2006_reports_a_by_reference_return()
        => AssertReports("TG2006", Usings + "[TrustDomain] public interface IDomain { [|ref int|] Call(); }");

    // TG2007: generic
    [Fact]
    public void TG2007_reports_a_generic_method()
        => AssertReports("TG2007", Usings + "[TrustDomain] public interface IDomain { void Call[|<T>|](int value); }");

    [Fact]
    public void TG2007_reports_a_generic_interface()
        => AssertReports("TG2007", Usings + "[TrustDomain] public interface IDomain[|<T>|] { void Call(int value); }");

    // TG2008: members other than instance methods
    [Theory]
    [InlineData("int [|Value|] { get; }")]
    [InlineData("event Action [|Changed|];")]
    [InlineData("int [|this|][int index] { get; }")]
    [InlineData("static void [|Helper|]() { }")]
    public void TG2008_reports_a_member_that_is_not_an_instance_method(string member)
        => AssertReports("TG2008", Usings + "[TrustDomain] public interface IDomain { " + member + " }");

    // TG2009: user_check is a warning at the declaration, and code is still generated
    [Theory]
    [InlineData("ReadOnlySpan<byte>")]
    [InlineData("Span<byte>")]
    public void TG2009_warns_at_a_user_check_parameter_and_still_generates(string type)
    {
        var (source, span) = Markup.Parse(Usings + "[TrustDomain] public interface IDomain { void Call([|[UserCheck, Bounded(8)] " + type + " view|]); }");
        var (output, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), source);
        Diagnostic warning = Assert.Single(diagnostics);
        Assert.Equal("TG2009", warning.Id);
        Assert.Equal(DiagnosticSeverity.Warning, warning.DefaultSeverity); // the harness raises warnings to errors; the rule itself warns
        Assert.Equal(span, warning.Location.SourceSpan);
        Assert.Single(run.GeneratedTrees);
        Assert.DoesNotContain(GeneratorHarness.Problems(output), d => d.Id != "TG2009");
    }

    // TG2010: a bound out of range, or on a fixed-size value
    [Theory]
    [InlineData("[[|Bounded(0)|]] ReadOnlySpan<byte>")]
    [InlineData("[[|Bounded(-4)|]] Span<byte>")]
    [InlineData("[[|Bounded(2000000)|]] ReadOnlySpan<byte>")]
    [InlineData("[[|Bounded(300000)|]] ReadOnlySpan<long>")]
    [InlineData("[[|Bounded(4)|]] int")]
    public void TG2010_reports_an_invalid_bound(string parameter)
        => AssertReports("TG2010", Usings + "[TrustDomain] public interface IDomain { void Call(" + parameter + " data); }");

    [Fact]
    public void TG2010_accepts_the_largest_bound()
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { void Call([Bounded(1048576)] ReadOnlySpan<byte> data, [Bounded(131072)] Span<long> longs); }");

    // TG2011: [InOut] on something other than Span<T>
    [Theory]
    [InlineData("[[|InOut|], Bounded(8)] ReadOnlySpan<byte>")]
    [InlineData("[[|InOut|]] int")]
    public void TG2011_reports_in_out_on_something_other_than_a_span(string parameter)
        => AssertReports("TG2011", Usings + "[TrustDomain] public interface IDomain { void Call(" + parameter + " data); }");

    // TG2012: containing type not partial
    [Fact]
    public void TG2012_reports_a_containing_type_that_is_not_partial()
        => AssertReports("TG2012", Usings + "public static class [|Outer|] { [TrustDomain] public interface IDomain { void Call(int value); } }");

    [Fact]
    public void TG2012_accepts_a_partial_containing_type()
        => AssertClean(Usings + "public static partial class Outer { [TrustDomain] public interface IDomain { void Call(int value); } }");

    // TG2013: inherited interfaces
    [Fact]
    public void TG2013_reports_an_inherited_interface()
        => AssertReports("TG2013", Usings + "public interface IBase { void Other(); }\n[TrustDomain] public interface IDomain [|: IBase|] { void Call(int value); }");

    [Fact]
    public void Parameter_names_that_match_generated_locals_and_fields_still_compile()
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { int Call(int call, long frame, [Bounded(4)] Span<byte> result, [Bounded(4)] ReadOnlySpan<byte> _channel, bool _implementation, [Bounded(8)] string @event); }");

    [Theory]
    [InlineData("int?")]
    [InlineData("Guid?")]
    [InlineData("DayOfWeek?")]
    public void TG2004_reports_a_nullable_value_type(string type)
        => AssertReports("TG2004", Usings + "[TrustDomain] public interface IDomain { void Call([|" + type + "|] value); }");

    [Fact]
    public void TG2008_reports_a_protected_method_the_generated_code_could_not_call()
        => AssertReports("TG2008", Usings + "[TrustDomain] public interface IDomain { void Call(); protected void [|Hidden|](); }");

    [Fact]
    public void Private_and_sealed_methods_with_bodies_are_helpers_and_the_proxy_still_implements_the_contract()
        => AssertClean(Usings + "[TrustDomain] public interface IDomain { int Call(); private int Twice() => 2 * Call(); sealed int Thrice() => 3 * Call(); int Defaulted() => 4; }");

    // TG2020
    [Fact]
    public void TG2020_reports_a_file_local_contract()
        => AssertReports("TG2020", Usings + "[TrustDomain] file interface [|IDomain|] { void Call(int value); }");

    [Fact]
    public void TG2020_reports_a_contract_nested_in_a_file_local_type()
        => AssertReports("TG2020", Usings + "file partial class Outer { [HostCalls] public interface [|IHost|] { void Call(int value); } }");

    // TG2021
    [Theory]
    [InlineData("public sealed class DomainProxy { }")]
    [InlineData("public interface DomainEntry { }")]
    [InlineData("public static class DomainBoundary { }")]
    public void TG2021_reports_a_generated_type_name_already_in_use(string other)
        => AssertReports("TG2021", Usings + other + "\n[TrustDomain] public interface [|IDomain|] { void Call(int value); }");

    [Fact]
    public void TG2021_reports_two_contracts_that_generate_the_same_types()
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), Usings + "[TrustDomain] public interface IDomain { void Call(int value); }\n[HostCalls] public interface Domain { void Back(int value); }");

        Assert.Equal(new[] { "TG2021", "TG2021" }, diagnostics.Select(d => d.Id));
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void The_same_rules_apply_to_host_calls()
        => AssertReports("TG2001", Usings + "[HostCalls] public interface IHost { void Call([|byte[]|] data); }");

    private static void AssertReports(string id, string markup, string? alsoWarns = null)
    {
        var (source, span) = Markup.Parse(markup);
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), source);

        Diagnostic diagnostic = Assert.Single(diagnostics, d => d.Id != alsoWarns);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Equal("https://github.com/tailguard/tailguard/blob/main/docs/diagnostics/" + id + ".md", diagnostic.Descriptor.HelpLinkUri);
        Assert.Empty(run.GeneratedTrees);
    }

    private static void AssertClean(string source)
    {
        var (output, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), source);
        Assert.Empty(diagnostics);
        Assert.Single(run.GeneratedTrees);
        var errors = GeneratorHarness.Problems(output).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }
}
