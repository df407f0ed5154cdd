using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class StringAndLinqAllocationTests
{
    [Fact]
    public Task String_concatenation_is_one_TG3011_per_chain_and_constants_are_not_reported()
    {
        const string source = """
            using TailGuard;
            class C
            {
                const string K = "a" + "b";
                string _s;
                [HotPath] void M(string a, string b)
                {
                    _s = {|TG3011:a + b + "c"|};
                    _s = K + "d";
                    {|TG3011:_s += a|};
                    _s = {|TG3011:string.Concat(a, b)|};
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Interpolation_to_string_and_FormattableString_is_TG3012_but_span_TryWrite_is_not()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                string _s; FormattableString _f;
                [HotPath] void M(int x, Span<char> buffer)
                {
                    _s = {|TG3012:$"x={x}"|};
                    _f = {|TG3012:$"x={x}"|};
                    buffer.TryWrite($"x={x}", out var written);
                    const string k = $"constant{"s"}";
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task String_Format_is_TG3013()
    {
        const string source = """
            using TailGuard;
            class C
            {
                string _s;
                [HotPath] void M(string a) { _s = {|TG3013:string.Format("{0}", a)|}; }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Linq_calls_are_TG3014()
    {
        const string source = """
            using System.Collections.Generic;
            using System.Linq;
            using TailGuard;
            class C
            {
                int _n;
                [HotPath] void M(List<int> list)
                {
                    _n = {|TG3014:list.Count()|};
                    _n = list.Count;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Foreach_over_class_or_interface_enumerators_is_TG3015_but_arrays_spans_strings_and_lists_are_not()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using TailGuard;
            class C
            {
                int _n;
                [HotPath] void M(IEnumerable<int> e, List<int> l, int[] a, ReadOnlySpan<int> s, string t, Dictionary<int, int>.KeyCollection k)
                {
                    foreach (var x in {|TG3015:e|}) _n += x;
                    foreach (var x in l) _n += x;
                    foreach (var x in a) _n += x;
                    foreach (var x in s) _n += x;
                    foreach (var x in t) _n += x;
                    foreach (var x in k) _n += x;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
