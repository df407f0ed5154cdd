using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>.Test;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// docs/diagnostics/README.md: calls within the compilation are followed three calls deep, and a call is any of
/// "methods, constructors, property getters and setters, indexers, operators and conversion operators". Each way of
/// running code of the compilation is the first of the three calls here: a sink two helpers further is reported at the
/// argument, a sink three helpers further (the fourth call) is not; a secret returned through the kind and two helpers
/// is a secret, through three it is not.
/// </summary>
public sealed class SecretFlowReachTests
{
    /// <summary>Each way of running code: the type K (its member hands the secret 'x' on to H.H2), and the statement in M.</summary>
    public static TheoryData<string, string, string> SinkKinds() => new()
    {
        { "static method", "sealed class K { public static void Run(byte[] x) { H.H2(x); } }", "K.Run({|#0:_key|});" },
        { "instance method", "sealed class K { public void Run(byte[] x) { H.H2(x); } }", "k.Run({|#0:_key|});" },
        { "extension method", "sealed class K { } static class KExtensions { public static void Run(this byte[] x) { H.H2(x); } }", "{|#0:_key|}.Run();" },
        { "class constructor", "sealed class K { public K(byte[] x) { H.H2(x); } }", "var made = new K({|#0:_key|});" },
        { "struct constructor", "struct K { public K(byte[] x) { H.H2(x); } }", "var made = new K({|#0:_key|});" },
        { "property setter", "sealed class K { public byte[] Key { set { H.H2(value); } } }", "k.Key = {|#0:_key|};" },
        { "init accessor in an object initializer", "sealed class K { public byte[] Key { init { H.H2(value); } } }", "var made = new K { Key = {|#0:_key|} };" },
        { "indexer getter", "sealed class K { public int this[byte[] x] { get { H.H2(x); return 0; } } }", "var n = k[{|#0:_key|}];" },
        { "indexer setter", "sealed class K { public byte[] this[int i] { set { H.H2(value); } } }", "k[0] = {|#0:_key|};" },
        { "indexer setter's index", "sealed class K { public int this[byte[] x] { set { H.H2(x); } } }", "k[{|#0:_key|}] = 1;" },
        { "compound assignment of an indexer", "sealed class K { public int this[byte[] x] { get { H.H2(x); return 0; } set { } } }", "k[{|#0:_key|}] += 1;" },
        { "binary operator", "sealed class K { public static K operator +(K a, byte[] b) { H.H2(b); return a; } }", "var sum = k + {|#0:_key|};" },
        { "compound assignment through an operator", "sealed class K { public static K operator +(K a, byte[] b) { H.H2(b); return a; } }", "k += {|#0:_key|};" },
        { "implicit conversion operator", "sealed class K { public static implicit operator K(byte[] x) { H.H2(x); return null; } }", "K made = {|#0:_key|};" },
        { "explicit conversion operator", "sealed class K { public static explicit operator K(byte[] x) { H.H2(x); return null; } }", "var made = (K){|#0:_key|};" },
    };

    /// <summary>Each way of running code that returns what it is given, through H.R2: the type K and the value read in M.</summary>
    public static TheoryData<string, string, string> ReturnKinds() => new()
    {
        { "static method", "sealed class K { public static byte[] Run(byte[] x) => H.R2(x); }", "K.Run(_key)" },
        { "instance method", "sealed class K { public byte[] Run(byte[] x) => H.R2(x); }", "k.Run(_key)" },
        { "indexer getter", "sealed class K { public byte[] this[byte[] x] => H.R2(x); }", "k[_key]" },
        { "binary operator", "sealed class K { public static byte[] operator +(K a, byte[] b) => H.R2(b); }", "k + _key" },
        { "implicit conversion operator", "sealed class K { public byte[] V; public static implicit operator K(byte[] x) => new K { V = H.R2(x) }; }", "((K)_key).V" },
    };

    [Theory]
    [MemberData(nameof(SinkKinds))]
    public Task A_sink_three_calls_deep_through_each_kind_of_call_is_reported_at_the_argument(string kind, string declarations, string statement)
    {
        var test = new Test { TestCode = Source(declarations, statement, calls: 3) };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0));
        return RunAsync(test, kind);
    }

    [Theory]
    [MemberData(nameof(SinkKinds))]
    public Task A_sink_four_calls_deep_through_each_kind_of_call_is_not_followed(string kind, string declarations, string statement)
    {
        var test = new Test { TestCode = Source(declarations, Unmarked(statement), calls: 4) };
        return RunAsync(test, kind);
    }

    [Theory]
    [MemberData(nameof(ReturnKinds))]
    public Task A_secret_returned_through_each_kind_of_call_and_two_helpers_is_secret(string kind, string declarations, string read)
    {
        var test = new Test { TestCode = Source(declarations, "Console.WriteLine({|#0:" + read + "|});", calls: 3) };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0));
        return RunAsync(test, kind);
    }

    [Theory]
    [MemberData(nameof(ReturnKinds))]
    public Task A_secret_returned_through_each_kind_of_call_and_three_helpers_is_not_followed(string kind, string declarations, string read)
    {
        var test = new Test { TestCode = Source(declarations, "Console.WriteLine(" + read + ");", calls: 4) };
        return RunAsync(test, kind);
    }

    private static string Unmarked(string statement) => statement.Replace("{|#0:", "").Replace("|}", "");

    /// <summary>
    /// K's member is the first call; H2 the second; with <paramref name="calls"/> 3, H3 holds the sink (and R3 returns
    /// its argument); with 4, H3 hands it to H4 (R3 to R4), the fourth call.
    /// </summary>
    private static string Source(string declarations, string statement, int calls) => $$"""
        using System;
        using TailGuard;
        {{declarations}}
        static class H
        {
            public static void H2(byte[] v) => H3(v);
            public static void H3(byte[] v) { {{(calls == 3 ? "Console.WriteLine(v);" : "H4(v);")}} }
            public static void H4(byte[] v) => Console.WriteLine(v);
            public static byte[] R2(byte[] v) => R3(v);
            public static byte[] R3(byte[] v) => {{(calls == 3 ? "v" : "R4(v)")}};
            public static byte[] R4(byte[] v) => v;
        }
        class C
        {
            [Secret] private readonly byte[] _key = new byte[4];
            void M(K k) { {{statement}} }
        }
        """;

    private static Task RunAsync(Test test, string kind)
    {
        _ = kind; // names the theory row in the test output
        return test.RunAsync();
    }
}
