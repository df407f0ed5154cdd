using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>.Test;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// The call depth docs/diagnostics/README.md states for the TG4xxx rules: a secret is followed into three nested helpers
/// (a sink three calls deep is reported at the outermost call; a secret returned through three helpers is a secret),
/// and not into a fourth. One row per rule, at exactly the documented depth and one beyond it.
/// </summary>
public sealed class SecretFlowDepthTests
{
    private const string Declarations = """
        using System;
        using System.Linq;
        using TailGuard;
        [HostCalls] public interface IHost { void Send(ReadOnlySpan<byte> data); }
        [R2P2Service] public interface IRemote { int Put(ReadOnlySpan<byte> value); }
        sealed class LeakException : Exception { public LeakException(byte[] detail) { } }
        """;

    /// <summary>Each rule with a sink statement on the helper's parameter 'v'.</summary>
    public static TheoryData<string, string> SinkRules() => new()
    {
        { "TG4001", "s_host.Send(v);" },
        { "TG4002", "s_remote.Put(v);" },
        { "TG4003", "Console.WriteLine(v);" },
        { "TG4004", "throw new LeakException(v);" },
        { "TG4005", "var text = Convert.ToBase64String(v);" },
        { "TG4006", "s_plain = v;" },
        { "TG4007", "var same = v.SequenceEqual(s_plain);" },
    };

    [Theory]
    [MemberData(nameof(SinkRules))]
    public Task A_sink_three_calls_deep_is_reported_at_the_outermost_call(string rule, string sink)
    {
        var test = new Test { TestCode = Declarations + Chain(sink, helpers: 3, call: "H1({|#0:_key|});") };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning(rule).WithLocation(0));
        return test.RunAsync();
    }

    [Theory]
    [MemberData(nameof(SinkRules))]
    public Task A_sink_four_calls_deep_is_beyond_the_documented_depth(string rule, string sink)
    {
        _ = rule;
        return new Test { TestCode = Declarations + Chain(sink, helpers: 4, call: "H1(_key);") }.RunAsync();
    }

    [Fact]
    public Task A_secret_returned_through_three_nested_helpers_is_a_secret_with_the_path()
    {
        var test = new Test { TestCode = Declarations + Chain("return v;", helpers: 3, call: "var k = H1(_key); Console.WriteLine({|#0:k|});", returns: true) };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0)
            .WithArguments("'_key' -> 'H1' -> 'k' -> 'value'", "'Console.WriteLine'"));
        return test.RunAsync();
    }

    [Fact]
    public Task A_secret_returned_through_four_nested_helpers_is_beyond_the_documented_depth()
    {
        return new Test { TestCode = Declarations + Chain("return v;", helpers: 4, call: "var k = H1(_key); Console.WriteLine(k);", returns: true) }.RunAsync();
    }

    [Fact]
    public Task A_helper_returning_its_own_secret_three_calls_deep_is_a_source_and_four_calls_deep_is_not()
    {
        var source = Declarations + """
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                byte[] A1() => A2();
                byte[] A2() => A3();
                byte[] A3() => _key;
                byte[] B1() => B2();
                byte[] B2() => B3();
                byte[] B3() => B4();
                byte[] B4() => _key;
                byte[] Material => A3();
                void M()
                {
                    Console.WriteLine({|#0:A1()|});
                    Console.WriteLine(B1());
                    Console.WriteLine({|#1:Material|});
                }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0)
            .WithArguments("'_key' -> 'A3' -> 'A2' -> 'A1' -> 'value'", "'Console.WriteLine'"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(1)
            .WithArguments("'_key' -> 'A3' -> 'Material.get' -> 'value'", "'Console.WriteLine'"));
        return test.RunAsync();
    }

    [Fact]
    public Task Constructors_setters_and_operators_of_the_compilation_are_followed_like_calls()
    {
        var source = Declarations + """
            sealed class Session
            {
                private static byte[] s_last;
                public Session(byte[] key) { s_last = key; }
                public byte[] Key { set { s_last = value; } }
                public static Session operator +(Session a, byte[] b) { s_last = b; return a; }
            }
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                void M(Session session)
                {
                    var s = new Session({|#0:_key|});
                    session.Key = {|#1:_key|};
                    var t = session + {|#2:_key|};
                }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4006").WithLocation(0)
            .WithArguments("'_key' -> 'key'", "s_last in 'new Session'"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4006").WithLocation(1)
            .WithArguments("'_key' -> 'value'", "s_last in 'Key.set'"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4006").WithLocation(2)
            .WithArguments("'_key' -> 'b'", "s_last in 'operator +'"));
        return test.RunAsync();
    }

    /// <summary>M calls H1(_key), H1 calls H2, ... Hn holds <paramref name="sink"/> on its parameter v.</summary>
    private static string Chain(string sink, int helpers, string call, bool returns = false)
    {
        var type = returns ? "byte[]" : "void";
        var body = new System.Text.StringBuilder();
        for (var i = 1; i < helpers; i++)
        {
            body.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"    static {type} H{i}(byte[] v) {{ {(returns ? "return " : "")}H{i + 1}(v); }}");
        }

        body.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"    static {type} H{helpers}(byte[] v) {{ {sink} }}");
        return $$"""

            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                static IHost s_host;
                static IRemote s_remote;
                static byte[] s_plain;
            {{body}}
                void M() { {{call}} }
            }
            """;
    }
}
