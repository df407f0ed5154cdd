using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>.Test;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

/// <summary>
/// TG3018 as docs/diagnostics/TG3018.md states it: every way a hot path runs a method of the compilation is followed
/// (calls, constructors of classes and structs, property and indexer accessors, operators, conversion operators, the
/// enumerator a foreach uses) exactly three calls deep, and not one call further.
/// </summary>
public sealed class TransitiveReachTests
{
    /// <summary>Each way of running a method: the types it needs, the hot statement (location 0 marks the call), the name in the chain.</summary>
    public static TheoryData<string, string, string, string> CallKinds() => new()
    {
        { "method", "sealed class K { public static void Run() { H.B(); } }", "{|#0:K.Run()|};", "Run" },
        { "struct constructor", "struct K { public K(int x) { H.B(); } }", "var made = {|#0:new K(1)|};", "new K" },
        { "property getter", "sealed class K { public int Count { get { H.B(); return 1; } } }", "var n = {|#0:k.Count|};", "Count.get" },
        { "property setter", "sealed class K { public int Count { set { H.B(); } } }", "{|#0:k.Count|} = 1;", "Count.set" },
        { "init accessor in an object initializer", "struct K { public int Count { get => 0; init { H.B(); } } }", "var made = new K { {|#0:Count|} = 1 };", "Count.set" },
        { "expression-bodied getter", "sealed class K { public int Count => H.B(1); }", "var n = {|#0:k.Count|};", "Count.get" },
        { "indexer getter", "sealed class K { public int this[int i] { get { H.B(); return i; } } }", "var v = {|#0:k[1]|};", "this[].get" },
        { "indexer setter", "sealed class K { public int this[int i] { set { H.B(); } } }", "{|#0:k[1]|} = 2;", "this[].set" },
        { "binary operator", "sealed class K { public static K operator +(K a, K b) { H.B(); return a; } }", "var sum = {|#0:k + k|};", "operator +" },
        { "unary operator", "sealed class K { public static K operator -(K a) { H.B(); return a; } }", "var negated = {|#0:-k|};", "operator -" },
        { "compound assignment through an operator", "sealed class K { public static K operator +(K a, K b) { H.B(); return a; } }", "{|#0:k += k|};", "operator +" },
        { "increment operator", "sealed class K { public static K operator ++(K a) { H.B(); return a; } }", "{|#0:k++|};", "operator ++" },
        { "implicit conversion operator", "sealed class K { public static implicit operator long(K a) { H.B(); return 0; } }", "long wide = {|#0:k|};", "implicit operator long" },
        { "explicit conversion operator", "sealed class K { public static explicit operator int(K a) { H.B(); return 0; } }", "var narrow = {|#0:(int)k|};", "explicit operator int" },
        { "instance method", "sealed class K { public void Run() { H.B(); } }", "{|#0:k.Run()|};", "Run" },
        { "extension method", "sealed class K { } static class KExtensions { public static void Run(this K k) { H.B(); } }", "{|#0:k.Run()|};", "Run" },
        { "class constructor", "sealed class K { public K(int x) { H.B(); } }", "var made = {|#1:{|#0:new K(1)|}|};", "new K" },
        { "compound assignment of a property runs its getter", "sealed class K { public int Count { get { H.B(); return 1; } set { } } }", "{|#0:k.Count|} += 1;", "Count.get" },
        { "compound assignment of a property runs its setter", "sealed class K { public int Count { get => 1; set { H.B(); } } }", "{|#0:k.Count|} += 1;", "Count.set" },
        { "increment of a property runs its setter", "sealed class K { public int Count { get => 1; set { H.B(); } } }", "{|#0:k.Count|}++;", "Count.set" },
        { "compound assignment of an indexer runs its setter", "sealed class K { public int this[int i] { get => i; set { H.B(); } } }", "{|#0:k[1]|} += 2;", "this[].set" },
        { "decrement operator", "sealed class K { public static K operator --(K a) { H.B(); return a; } }", "{|#0:k--|};", "operator --" },
        { "foreach enumerator's Current", "sealed class K { public E GetEnumerator() => default; } struct E { public int Current { get { H.B(); return 0; } } public bool MoveNext() => false; }", "foreach (var item in {|#0:k|}) { }", "Current.get" },
        { "foreach enumerator's GetEnumerator", "sealed class K { public E GetEnumerator() { H.B(); return default; } } struct E { public int Current => 0; public bool MoveNext() => false; }", "foreach (var item in {|#0:k|}) { }", "GetEnumerator" },
        { "foreach enumerator", "sealed class K { public E GetEnumerator() => default; } struct E { public int Current => 0; public bool MoveNext() { H.B(); return false; } }", "foreach (var item in {|#0:k|}) { }", "MoveNext" },
    };

    [Theory]
    [MemberData(nameof(CallKinds))]
    public Task An_allocation_exactly_three_calls_deep_is_reported_at_the_hot_call_with_the_chain(string kind, string declarations, string hotStatement, string name)
    {
        var test = new Test { TestCode = Source(declarations, hotStatement, depth: 3) };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments(name, "'" + name + "' -> 'B' -> 'Leaf': new 'object' (TG3001)", "C.M"));
        AddClassAllocation(test, hotStatement);
        return RunAsync(test, kind);
    }

    [Theory]
    [MemberData(nameof(CallKinds))]
    public Task An_allocation_four_calls_deep_is_beyond_the_documented_depth_and_not_reported(string kind, string declarations, string hotStatement, string name)
    {
        _ = name;
        // No TG3018 one call further: the #0 mark and its closing go.
        var statement = hotStatement.Replace("{|#0:", "");
        statement = statement.Remove(statement.IndexOf("|}", System.StringComparison.Ordinal), 2);
        var test = new Test { TestCode = Source(declarations, statement, depth: 4) };
        AddClassAllocation(test, hotStatement);
        return RunAsync(test, kind);
    }

    [Fact]
    public Task A_class_constructor_is_TG3001_for_the_object_and_TG3018_for_what_its_constructor_allocates()
    {
        const string source = """
            using TailGuard;
            sealed class Session { public Session() { Trace.Open(); } }
            static class Trace { static object _o; public static void Open() => _o = new object(); }
            class C
            {
                static Session _s;
                [HotPath] void M() { _s = {|#0:new Session()|}; }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3001").WithLocation(0).WithArguments("Session", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments("new Session", "'new Session' -> 'Open': new 'object' (TG3001)", "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task A_constructor_runs_the_field_and_property_initializers_and_the_base_constructors_of_its_type()
    {
        const string source = """
            using TailGuard;
            struct Frame { public Frame(int n) { } private readonly byte[] _scratch = new byte[64]; }
            class Base { protected Base() { Pool.Take(); } }
            sealed class Derived : Base { }
            class Counted(int n) : Base2(n) { }
            class Base2 { public Base2(int n) { Pool.Take(); } }
            struct Named { public Named(int n) { } public string Label { get; } = "n" + System.Environment.ProcessorCount; }
            struct Chained { public Chained(int n) : this() { } public Chained() { } private readonly object _o = new object(); }
            static class Pool { static object _o; public static void Take() => _o = new object(); }
            class C
            {
                static object _x;
                [HotPath] void M()
                {
                    var frame = {|#0:new Frame(1)|};
                    _x = {|#1:{|#2:new Derived()|}|};
                    _x = {|#3:{|#4:new Counted(2)|}|};
                    var named = {|#5:new Named(3)|};
                    var chained = {|#6:new Chained(4)|};
                }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments("new Frame", "'new Frame': array of 'byte' (TG3002)", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3001").WithLocation(1).WithArguments("Derived", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(2)
            .WithArguments("new Derived", "'new Derived' -> 'new Base' -> 'Take': new 'object' (TG3001)", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3001").WithLocation(3).WithArguments("Counted", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(4)
            .WithArguments("new Counted", "'new Counted' -> 'new Base2' -> 'Take': new 'object' (TG3001)", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(5)
            .WithArguments("new Named", "'new Named': string concatenation (TG3011)", "C.M"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(6)
            .WithArguments("new Chained", "'new Chained' -> 'new Chained': new 'object' (TG3001)", "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task Auto_properties_field_like_accessors_and_constructors_that_allocate_nothing_are_not_reported()
    {
        const string source = """
            using TailGuard;
            sealed class Stats { public int Count { get; set; } public long Total { get; init; } public int this[int i] => i * 2; }
            struct Money { public long Cents; public Money(long c) { Cents = c; } public static Money operator +(Money a, Money b) => new Money(a.Cents + b.Cents); public static implicit operator long(Money m) => m.Cents; }
            class C
            {
                static long _l;
                [HotPath] void M(Stats stats, Money a, Money b)
                {
                    stats.Count++;
                    stats.Count = stats[3];
                    var sum = a + b;
                    _l = sum;
                    var fresh = new Money(5);
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_local_function_is_reported_at_its_own_allocation_and_not_again_at_its_call()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static object _o;
                static void Cold() => _o = new object();
                [HotPath] void M()
                {
                    Local();
                    Local();
                    Outer();
                    void Local() => _o = {|TG3001:new object()|};
                    void Outer() => {|#0:Cold()|};
                }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments("Cold", "'Cold': new 'object' (TG3001)", "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task A_local_function_of_a_cold_callee_counts_as_the_callees_own_code()
    {
        const string source = """
            using TailGuard;
            class C
            {
                static object _o;
                static void Cold() { Inner(); void Inner() => _o = new object(); }
                [HotPath] void M() { {|#0:Cold()|}; }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments("Cold", "'Cold': new 'object' (TG3001)", "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task Documented_limits_delegates_interface_dispatch_static_constructors_and_hot_callees_are_not_followed()
    {
        const string source = """
            using System;
            using TailGuard;
            interface IStep { void Run(); }
            sealed class Step : IStep { static object _o; public void Run() => _o = new object(); }
            sealed class Lazy { public static readonly object Shared; static Lazy() { Shared = new object(); } public static int Id => 1; }
            [HotPath] sealed class Hot { public int Count { get { return {|TG3002:new int[1]|}.Length; } } }
            class C
            {
                static object _o;
                Func<object> _factory = static () => new object();
                [HotPath] void M(IStep step, Hot hot)
                {
                    step.Run();          // interface call: the implementation is not known statically
                    _o = _factory();     // delegate invocation: not resolved
                    var id = Lazy.Id;    // the static constructor runs once, not on the path
                    var n = hot.Count;   // a hot callee reports its own allocations
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_virtual_call_follows_the_statically_bound_method()
    {
        const string source = """
            using TailGuard;
            class Handler { static object _o; public virtual void Handle() => _o = new object(); }
            sealed class Quiet : Handler { public override void Handle() { } }
            class C
            {
                [HotPath] void M(Handler handler, Quiet quiet) { {|#0:handler.Handle()|}; quiet.Handle(); }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3018").WithLocation(0)
            .WithArguments("Handle", "'Handle': new 'object' (TG3001)", "C.M"));
        return test.RunAsync();
    }

    private static string Source(string declarations, string hotStatement, int depth) => $$"""
        using TailGuard;
        {{declarations}}
        static class H
        {
            static object _o;
            public static void B() => {{(depth == 3 ? "Leaf()" : "D()")}};
            public static int B(int x) { {{(depth == 3 ? "Leaf()" : "D()")}}; return x; }
            static void D() => Leaf();
            static void Leaf() => _o = new object();
        }
        class C
        {
            [HotPath] void M(K k) { {{hotStatement}} }
        }
        """;

    // A row whose hot statement creates a class instance marks it #1: the object itself is TG3001 at any depth.
    private static void AddClassAllocation(Test test, string hotStatement)
    {
        if (hotStatement.Contains("{|#1:"))
        {
            test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG3001").WithLocation(1).WithArguments("K", "C.M"));
        }
    }

    private static Task RunAsync(Test test, string kind)
    {
        _ = kind; // names the theory row in the test output
        return test.RunAsync();
    }
}
