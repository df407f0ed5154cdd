using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
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
}
