using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// Every TG1xxx rule: the positive case reports exactly that rule at the marked span and generates nothing for the
/// service; the negative case (the nearest valid declaration) reports nothing and generates code that compiles.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = "using System;\nusing TailGuard;\nusing TailGuard.R2P2;\n";

    // TG1001
    [Theory]
    [InlineData("object")]
    [InlineData("int[]")]
    [InlineData("nint")]
    [InlineData("ReadOnlySpan<int>")]
    [InlineData("System.Collections.Generic.List<int>")]
    [InlineData("System.Threading.CancellationToken")]
    [InlineData("WithReference")]
    [InlineData("ReadOnlyMemory<byte>")]
    public void TG1001_reports_a_parameter_type_that_cannot_cross(string type)
        => AssertReports("TG1001", Usings + "public struct WithReference { public string Name; }\n[R2P2Service] public interface IService { void Call([|" + type + "|] value); }");

    [Theory]
    [InlineData("int")]
    [InlineData("ReadOnlySpan<byte>")]
    [InlineData("string")]
    [InlineData("Guid")]
    [InlineData("RoutingPolicy")]
    public void TG1001_accepts_parameter_types_that_cross(string type)
        => AssertClean(Usings + "[R2P2Service] public interface IService { void Call(" + type + " value); }");

    // TG1002
    [Theory]
    [InlineData("object")]
    [InlineData("ReadOnlySpan<byte>")]
    [InlineData("System.Threading.Tasks.Task<int>")]
    [InlineData("System.Threading.Tasks.Task")]
    [InlineData("System.Threading.Tasks.ValueTask<object>")]
    [InlineData("System.Threading.Tasks.ValueTask<System.Threading.Tasks.ValueTask<int>>")]
    [InlineData("byte[]")]
    public void TG1002_reports_a_return_type_that_cannot_cross(string type)
        => AssertReports("TG1002", Usings + "[R2P2Service] public interface IService { [|" + type + "|] Call(); }");

    [Theory]
    [InlineData("void")]
    [InlineData("string")]
    [InlineData("decimal")]
    [InlineData("System.Threading.Tasks.ValueTask")]
    [InlineData("System.Threading.Tasks.ValueTask<int>")]
    [InlineData("System.Threading.Tasks.ValueTask<string>")]
    public void TG1002_accepts_return_types_that_cross(string type)
        => AssertClean(Usings + "[R2P2Service] public interface IService { " + type + " Call(); }");

    // TG1003
    [Theory]
    [InlineData("ref int value")]
    [InlineData("out int value")]
    [InlineData("in int value")]
    [InlineData("ref readonly int value")]
    public void TG1003_reports_by_ref_parameters(string parameter)
        => AssertReports("TG1003", Usings + "[R2P2Service] public interface IService { void Call([|" + parameter + "|]); }");

    [Fact]
    public void TG1003_reports_a_by_ref_return()
        => AssertReports("TG1003", Usings + "[R2P2Service] public interface IService { [|ref int|] Call(); }");

    [Fact]
    public void TG1003_accepts_a_scoped_span_parameter()
        => AssertClean(Usings + "[R2P2Service] public interface IService { void Call(scoped ReadOnlySpan<byte> value); }");

    // TG1004
    [Fact]
    public void TG1004_reports_a_generic_method()
        => AssertReports("TG1004", Usings + "[R2P2Service] public interface IService { void Call[|<T>|](int value); }");

    [Fact]
    public void TG1004_accepts_a_non_generic_method()
        => AssertClean(Usings + "[R2P2Service] public interface IService { void Call(int value); }");

    // TG1005
    [Fact]
    public void TG1005_reports_a_generic_interface()
        => AssertReports("TG1005", Usings + "[R2P2Service] public interface IService[|<T>|] { void Call(); }");

    [Fact]
    public void TG1005_accepts_an_interface_nested_in_a_generic_partial_type()
        => AssertClean(Usings + "public partial class Outer<T> { [R2P2Service] public interface IService { void Call(); } }");

    // TG1006
    [Fact]
    public void TG1006_reports_two_explicit_ids_that_collide()
        => AssertReports("TG1006", Usings + "[R2P2Service] public interface IService { [R2P2Method(5)] void A(); [[|R2P2Method(5)|]] void B(); }");

    [Fact]
    public void TG1006_reports_two_hashed_ids_that_collide()
        => AssertReports("TG1006", Usings + "[R2P2Service] public interface IService { void HY(); void [|JM|](); }");

    [Fact]
    public void TG1006_reports_a_hashed_id_that_collides_with_an_explicit_one()
        => AssertReports("TG1006", Usings + "[R2P2Service] public interface IService { [R2P2Method(10753)] void A(); void [|HY|](); }");

    [Fact]
    public void TG1006_accepts_distinct_ids()
        => AssertClean(Usings + "[R2P2Service] public interface IService { [R2P2Method(5)] void A(); [R2P2Method(6)] void B(); void HY(); }");

    // TG1007
    [Fact]
    public void TG1007_reports_overloads()
        => AssertReports("TG1007", Usings + "[R2P2Service] public interface IService { [R2P2Method(1)] void M(int a); [R2P2Method(2)] void [|M|](long a); }");

    [Fact]
    public void TG1007_reports_names_that_differ_only_by_an_async_suffix()
        => AssertReports("TG1007", Usings + "[R2P2Service] public interface IService { void Put(int a); void [|PutAsync|](int a); }");

    [Fact]
    public void TG1007_reports_a_name_that_collides_with_a_lease_method()
        => AssertReports("TG1007", Usings + "[R2P2Service] public interface IService { int Get(ReadOnlySpan<byte> k, Span<byte> d); void [|GetLease|](); }");

    [Fact]
    public void TG1007_accepts_distinct_names()
        => AssertClean(Usings + "[R2P2Service] public interface IService { void Put(int a); void Putting(int a); }");

    // TG1008
    [Theory]
    [InlineData("int [|Count|] { get; }")]
    [InlineData("event Action [|Changed|];")]
    [InlineData("int [|this|][int i] { get; }")]
    [InlineData("static void [|Helper|]() { }")]
    public void TG1008_reports_members_that_are_not_instance_methods(string member)
        => AssertReports("TG1008", Usings + "[R2P2Service] public interface IService { void Call(); " + member + " }");

    [Fact]
    public void TG1008_accepts_constants_and_nested_types_beside_methods()
        => AssertClean(Usings + "[R2P2Service] public interface IService { const int Version = 1; enum Mode { A } void Call(); }");

    // TG1009
    [Fact]
    public void TG1009_reports_two_destinations()
        => AssertReports("TG1009", Usings + "[R2P2Service] public interface IService { int Call(Span<byte> a, [|Span<byte>|] b); }");

    [Fact]
    public void TG1009_reports_a_destination_method_that_does_not_return_int()
        => AssertReports("TG1009", Usings + "[R2P2Service] public interface IService { [|long|] Call(Span<byte> a); }");

    [Fact]
    public void TG1009_reports_a_destination_method_that_answers_asynchronously()
        => AssertReports("TG1009", Usings + "[R2P2Service] public interface IService { [|System.Threading.Tasks.ValueTask<int>|] Call(Span<byte> a); }");

    [Fact]
    public void TG1009_accepts_one_destination_with_an_int_result()
        => AssertClean(Usings + "[R2P2Service] public interface IService { int Call(ReadOnlySpan<byte> key, Span<byte> a); }");

    // TG1010
    [Fact]
    public void TG1010_reports_an_inherited_interface()
        => AssertReports("TG1010", Usings + "public interface IBase { void Inherited(); }\n[R2P2Service] public interface IService [|: IBase|] { void Call(); }");

    [Fact]
    public void TG1010_accepts_an_interface_without_bases()
        => AssertClean(Usings + "public interface IBase { void Inherited(); }\n[R2P2Service] public interface IService { void Call(); }");

    // TG1011
    [Fact]
    public void TG1011_reports_a_containing_type_that_is_not_partial()
        => AssertReports("TG1011", Usings + "public class [|Outer|] { [R2P2Service] public interface IService { void Call(); } }");

    [Fact]
    public void TG1011_accepts_a_partial_containing_type()
        => AssertClean(Usings + "public partial class Outer { [R2P2Service] public interface IService { void Call(); } }");

    // TG1012
    [Theory]
    [InlineData("[[|R2P2Service(Policy = (RoutingPolicy)9)|]] public interface IService { void Call(); }")]
    [InlineData("[[|R2P2Service(Policy = RoutingPolicy.Unspecified)|]] public interface IService { void Call(); }")]
    [InlineData("[R2P2Service] public interface IService { [[|R2P2Method(1, Policy = (RoutingPolicy)7)|]] void Call(); }")]
    public void TG1012_reports_a_policy_that_is_not_on_the_wire(string declaration)
        => AssertReports("TG1012", Usings + declaration);

    [Fact]
    public void TG1012_accepts_an_unspecified_method_policy_which_inherits_the_service_policy()
    {
        string generated = AssertClean(Usings + "[R2P2Service(Policy = RoutingPolicy.Replicated)] public interface IService { [R2P2Method(1, Policy = RoutingPolicy.Unspecified)] void Call(); [R2P2Method(2, Policy = RoutingPolicy.Fixed)] void Other(); }");

        Assert.Contains("s_writeCall, global::TailGuard.R2P2.RoutingPolicy.Replicated,", generated, System.StringComparison.Ordinal);
        Assert.Contains("s_writeOther, global::TailGuard.R2P2.RoutingPolicy.Fixed,", generated, System.StringComparison.Ordinal);
    }

    // TG1013
    [Theory]
    [InlineData("void Call([[|R2P2MaxLength(-1)|]] string s);")]
    [InlineData("void Call([[|R2P2MaxLength(4)|]] int x);")]
    [InlineData("[return: [|R2P2MaxLength(4)|]] int Call();")]
    public void TG1013_reports_a_bound_that_is_negative_or_does_not_apply(string method)
        => AssertReports("TG1013", Usings + "[R2P2Service] public interface IService { " + method + " }");

    [Fact]
    public void TG1013_accepts_bounds_on_strings_and_bytes()
    {
        string generated = AssertClean(Usings + "[R2P2Service] public interface IService { [return: R2P2MaxLength(10)] string Call([R2P2MaxLength(0)] string s, [R2P2MaxLength(3)] ReadOnlySpan<byte> b); }");

        Assert.Contains("reader.TryReadString(0, out string __arg0)", generated, System.StringComparison.Ordinal);
        Assert.Contains("reader.TryReadBytes(out global::System.ReadOnlySpan<byte> __arg1, 3)", generated, System.StringComparison.Ordinal);
        Assert.Contains("FitsString(__result, 10)", generated, System.StringComparison.Ordinal);
    }

    // TG1030
    [Theory]
    [InlineData("void Call([[|R2P2MaxLength(16777217)|]] string s);")]
    [InlineData("void Call([[|R2P2MaxLength(int.MaxValue)|]] ReadOnlySpan<byte> b);")]
    [InlineData("int Call([[|R2P2MaxLength(100000000)|]] Span<byte> destination);")]
    [InlineData("[return: [|R2P2MaxLength(2147483647)|]] string Call();")]
    public void TG1030_reports_a_bound_above_the_ceiling(string method)
        => AssertReports("TG1030", Usings + "[R2P2Service] public interface IService { " + method + " }");

    [Fact]
    public void TG1030_accepts_a_bound_at_the_ceiling()
    {
        string generated = AssertClean(Usings + "[R2P2Service] public interface IService { [return: R2P2MaxLength(16777216)] string Call([R2P2MaxLength(16777216)] string s); }");

        Assert.Contains("reader.TryReadString(16777216, out string __arg0)", generated, System.StringComparison.Ordinal);
    }

    [Fact]
    public void TG1008_reports_a_protected_method_the_generated_code_could_not_call()
        => AssertReports("TG1008", Usings + "[R2P2Service] public interface IService { void Call(); protected void [|Hidden|](); }");

    [Fact]
    public void Private_and_sealed_methods_with_bodies_are_helpers_not_calls()
    {
        string generated = AssertClean(Usings + "[R2P2Service] public interface IService { int Call(); private int Twice() => 2 * Call(); sealed int Thrice() => 3 * Call(); int Defaulted() => 4; }");

        Assert.Contains("CallAsync(", generated, System.StringComparison.Ordinal);
        Assert.Contains("DefaultedAsync(", generated, System.StringComparison.Ordinal); // a default body is still a virtual member: a call
        Assert.DoesNotContain("TwiceAsync", generated, System.StringComparison.Ordinal);
        Assert.DoesNotContain("ThriceAsync", generated, System.StringComparison.Ordinal);
    }

    // TG1014
    [Fact]
    public void TG1014_reports_a_file_local_service()
        => AssertReports("TG1014", Usings + "[R2P2Service] file interface [|IService|] { void Call(); }");

    [Fact]
    public void TG1014_reports_a_service_nested_in_a_file_local_type()
        => AssertReports("TG1014", Usings + "file partial class Outer { [R2P2Service] public interface [|IService|] { void Call(); } }");

    [Fact]
    public void TG1014_accepts_a_private_service_in_a_partial_class()
        => AssertClean(Usings + "internal partial class Outer { [R2P2Service] private interface IService { void Call(); } }");

    // TG1015
    [Theory]
    [InlineData("public interface IServiceClient { }")]
    [InlineData("public sealed class ServiceClient { }")]
    [InlineData("public struct ServiceDispatcher { }")]
    [InlineData("[R2P2Service] public interface Service { void Other(); }")]
    public void TG1015_reports_a_generated_type_name_already_in_use(string other)
        => AssertReports("TG1015", Usings + other + "\n[R2P2Service] public interface [|IService|] { void Call(); }", alsoAt: other.Contains("R2P2Service", System.StringComparison.Ordinal));

    [Fact]
    public void TG1015_reports_a_generated_name_taken_by_a_member_or_a_containing_type()
    {
        AssertReports("TG1015", Usings + "public partial class Outer { public int ServiceClient; [R2P2Service] public interface [|IService|] { void Call(); } }");
        AssertReports("TG1015", Usings + "public partial class ServiceDispatcher { [R2P2Service] public interface [|IService|] { void Call(); } }");
        AssertReports("TG1015", Usings + "public partial class Outer<ServiceClient> { [R2P2Service] public interface [|IService|] { void Call(); } }");
    }

    [Fact]
    public void TG1015_accepts_a_user_partial_class_that_extends_the_generated_client()
    {
        string extension = "public sealed partial class ServiceClient { public int Extra => 1; }";
        var (output, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), Usings + extension + "\n[R2P2Service] public interface IService { void Call(); }");

        Assert.Empty(diagnostics);
        Assert.Single(run.GeneratedTrees);
        Assert.DoesNotContain(GeneratorHarness.Problems(output), d => d.Id != "CS1591");
    }

    [Fact]
    public void The_attribute_on_a_class_is_a_compiler_error_and_generates_nothing()
    {
        var (output, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), Usings + "[R2P2Service] public class NotAnInterface { public void Call() { } }");

        Assert.Empty(diagnostics);
        Assert.Empty(run.GeneratedTrees);
        Assert.Contains(output.GetDiagnostics(), d => d.Id == "CS0592");
    }

    [Fact]
    public void Every_rule_in_one_service_is_reported_and_nothing_is_generated()
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), Usings + "[R2P2Service] public interface IService { object A(); void B(ref int x); void C<T>(); int D { get; } }");

        Assert.Equal(new[] { "TG1002", "TG1003", "TG1004", "TG1008" }, diagnostics.Select(d => d.Id).Distinct().OrderBy(i => i, System.StringComparer.Ordinal));
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void Diagnostics_link_to_their_documentation_page()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run(new R2P2ServiceGenerator(), Usings + "[R2P2Service] public interface IService { object A(); }");

        Assert.Equal("https://github.com/tailguard/tailguard/blob/main/docs/diagnostics/TG1002.md", Assert.Single(diagnostics).Descriptor.HelpLinkUri);
    }

    // alsoAt: the same rule is also reported elsewhere (on the other contract of a colliding pair).
    private static void AssertReports(string id, string markup, bool alsoAt = false)
    {
        var (source, span) = Markup.Parse(markup);
        var (_, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), source);

        Diagnostic diagnostic = alsoAt ? Assert.Single(diagnostics, d => d.Location.SourceSpan == span) : Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(span, diagnostic.Location.SourceSpan);
        Assert.Empty(run.GeneratedTrees);
    }

    private static string AssertClean(string source)
    {
        var (output, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), source);

        Assert.Empty(diagnostics);
        SyntaxTree generated = Assert.Single(run.GeneratedTrees);
        var errors = GeneratorHarness.Problems(output).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return generated.GetText().ToString();
    }
}
