using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class ObjectAndArrayAllocationTests
{
    [Fact]
    public Task New_class_in_hot_path_is_TG3001_and_cold_code_is_not_reported()
    {
        const string source = """
            using TailGuard;
            class C
            {
                object _o;
                [HotPath] void M() { _o = {|TG3001:new object()|}; }
                void Cold() { _o = new object(); }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Anonymous_types_and_record_with_copies_are_TG3001_but_structs_and_thrown_exceptions_are_not()
    {
        const string source = """
            using System;
            using TailGuard;
            record R(int X);
            struct S { public int X; }
            class C
            {
                object _o;
                [HotPath] void M(R r, int x)
                {
                    _o = {|TG3001:new { A = 1 }|};
                    _o = {|TG3001:r with { X = 2 }|};
                    var s = new S { X = 1 };
                    if (x < 0) throw new ArgumentOutOfRangeException(nameof(x));
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Every_member_of_a_HotPath_type_is_a_hot_path_including_nested_types_and_accessors()
    {
        const string source = """
            using TailGuard;
            [HotPath]
            class C
            {
                object _o;
                object P => {|TG3001:new object()|};
                C() { _o = {|TG3001:new object()|}; }
                class Nested { object N() => {|TG3001:new object()|}; }
            }
            class D
            {
                [HotPath] object P => {|TG3001:new object()|};
                object Q => new object();
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_HotPath_types_initializers_and_primary_constructor_base_call_are_hot_but_attribute_arguments_are_not()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using TailGuard;
            class Shape { public Shape(object o) { } }
            class Sizes : Attribute { public Sizes(int[] sizes) { } }
            [HotPath]
            class Pipeline(int n) : Shape({|TG3001:new object()|})
            {
                private readonly List<int> _items = {|TG3001:new List<int>()|}, _spare = {|TG3001:new List<int>(n)|};
                private int _count = n;
                public int[] Buffer { get; } = {|TG3002:new int[8]|};
                [Sizes(new[] { 1, 2 })] public int Run([Sizes(new[] { 3 })] int x) => x + _count + _items.Count + _spare.Count;
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Implementations_of_R2P2Service_and_TrustDomain_methods_are_hot_paths_without_marking()
    {
        const string source = """
            using System;
            using TailGuard;
            [R2P2Service] interface IKeyValue { int Get(ReadOnlySpan<byte> key, Span<byte> destination); }
            [TrustDomain] interface IVault { bool Verify(ReadOnlySpan<byte> password); }
            interface IPlain { object Make(); }
            sealed class KeyValue : IKeyValue, IPlain
            {
                public int Get(ReadOnlySpan<byte> key, Span<byte> destination) { var a = {|TG3002:new byte[4]|}; return a.Length; }
                public object Make() => new object();
                public object Other() => new object();
            }
            sealed class Vault : IVault
            {
                bool IVault.Verify(ReadOnlySpan<byte> password) { var a = {|TG3002:new byte[4]|}; return a.Length == password.Length; }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Arrays_are_TG3002_including_initializers()
    {
        const string source = """
            using TailGuard;
            class C
            {
                int[] _a;
                [HotPath] void M(int n)
                {
                    _a = {|TG3002:new int[n]|};
                    _a = {|TG3002:new[] { 1, 2 }|};
                    _a = {|TG3002:new int[0]|};
                    System.Span<int> s = stackalloc int[4];
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Params_arrays_are_TG3003_unless_empty()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static int Sum(params int[] values) => values.Length;
                [HotPath] int M() => {|TG3003:Sum(1, 2, 3)|} + Sum();
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Collection_expressions_are_TG3004_unless_spans_or_empty_arrays()
    {
        const string source = """
            using System;
            using System.Collections.Generic;
            using TailGuard;
            class C
            {
                object _o;
                [HotPath] void M(int x)
                {
                    int[] a = {|TG3004:[1, 2, x]|};
                    List<int> l = {|TG3004:[]|};
                    IEnumerable<int> e = [];
                    int[] empty = [];
                    ReadOnlySpan<int> r = [1, 2, 3];
                    Span<int> s = [x, x];
                    _o = a; _o = l; _o = e; _o = empty;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
