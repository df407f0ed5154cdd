using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class TransitiveAllocationTests
{
    [Fact]
    public Task A_call_into_a_method_that_allocates_three_calls_deep_is_TG3018_with_the_chain()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static string _s;
                [HotPath] void M() { {|#0:A()|}; Clean(); }
                static void A() => B();
                static void B() => Leaf("x");
                static void Leaf(string x) { _s = x + x; }
                static void Clean() { _s = "k"; }
            }
            """;
        var test = new Infrastructure.AnalyzerVerifier<Analyzers.Allocations.HotPathAllocationAnalyzer>.Test { TestCode = source };
        test.ExpectedDiagnostics.Add(
            Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
                .WithArguments("A", "'A' -> 'B' -> 'Leaf': string concatenation (TG3011)", "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task An_allocation_four_calls_deep_is_beyond_the_bound_and_not_reported()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static object _o;
                [HotPath] void M() { A(); }
                static void A() => B();
                static void B() => D();
                static void D() => Leaf();
                static void Leaf() { _o = new object(); }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Recursive_callees_terminate_and_hot_path_callees_are_not_reported_twice()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static object _o;
                [HotPath] void M() { Ping(3); Hot(); }
                static void Ping(int n) { if (n > 0) Pong(n - 1); }
                static void Pong(int n) { if (n > 0) Ping(n - 1); }
                [HotPath] static void Hot() { _o = {|TG3001:new object()|}; }
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
