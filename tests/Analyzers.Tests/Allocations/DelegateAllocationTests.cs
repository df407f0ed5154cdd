using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class DelegateAllocationTests
{
    [Fact]
    public Task Lambdas_capturing_locals_or_parameters_are_TG3008()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                Func<int> _f;
                [HotPath] void M(int p)
                {
                    var local = 1;
                    _f = {|TG3008:() =>|} local + p;
                    Func<int, int> g = {|TG3008:x =>|} x + p;
                    int Local() => local;
                    _f = {|TG3008:Local|};
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Lambdas_capturing_only_this_instance_method_groups_and_explicit_new_are_TG3009()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                int _x; Func<int> _f; Action _a;
                int Instance() => _x;
                static void Static() { }
                [HotPath] void M()
                {
                    _f = {|TG3009:() =>|} _x;
                    _f = {|TG3009:Instance|};
                    _a = {|TG3009:new Action(Static)|};
                    _a = Static;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Static_method_groups_before_CSharp_11_are_TG3009()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                Action _a;
                static void Static() { }
                [HotPath] void M() { _a = {|TG3009:Static|}; }
            }
            """;
        return Verifier.VerifyAsync(source, LanguageVersion.CSharp10);
    }

    [Fact]
    public Task Lambdas_capturing_nothing_are_TG3010_and_static_lambdas_are_not_reported()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                Func<int, int> _f;
                [HotPath] void M()
                {
                    _f = {|TG3010:x =>|} x + 1;
                    _f = static x => x + 1;
                    _f = {|TG3010:(int x) =>|} { var y = x; return y; };
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }
    [Fact]
    public Task Lambdas_written_by_where_select_and_orderby_clauses_are_TG3010_with_the_query_advice_and_a_capturing_clause_is_TG3008()
    {
        // TG3010.md: "Lambdas written by LINQ query clauses (`where x > 0`, `select x * 2`) cannot be made `static`: the
        // diagnostic says so"; the query calls themselves are TG3014.
        const string source = """
            using System.Linq;
            using TailGuard;
            class C
            {
                [HotPath] int M(int[] xs) => (from x in xs where x > 0 select x * 2).Sum();
                [HotPath] int N(int[] xs) => (from x in xs orderby x descending select x).First();
                [HotPath] int P(int[] xs, int[] ys) => (from x in xs from y in ys select x + y).Sum();
            }
            """;
        const string advice = "it is written by a query clause, which cannot be made 'static'; to pin it, rewrite the query in method syntax with a 'static' lambda";
        var query = new DiagnosticResult("TG3010", Microsoft.CodeAnalysis.DiagnosticSeverity.Info);
        var test = new Infrastructure.AnalyzerVerifier<Analyzers.Allocations.HotPathAllocationAnalyzer>.Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(new[]
        {
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(5, 34).WithArguments("Sum", "C.M"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(5, 48).WithArguments("Where", "C.M"),
            query.WithLocation(5, 54).WithArguments(advice, "C.M"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(5, 60).WithArguments("Select", "C.M"),
            query.WithLocation(5, 67).WithArguments(advice, "C.M"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(6, 34).WithArguments("First", "C.N"),
            query.WithLocation(6, 56).WithArguments(advice, "C.N"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(6, 56).WithArguments("OrderByDescending", "C.N"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(7, 44).WithArguments("Sum", "C.P"),
            DiagnosticResult.CompilerWarning("TG3014").WithLocation(7, 58).WithArguments("SelectMany", "C.P"),
            DiagnosticResult.CompilerWarning("TG3008").WithLocation(7, 68).WithMessage("The lambda captures 'ys': a closure object and a delegate are allocated in hot path 'C.P'"),
            query.WithLocation(7, 78).WithArguments(advice, "C.P"),
        });
        return test.RunAsync();
    }
}
