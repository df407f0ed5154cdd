using System.Threading.Tasks;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.CodeFixes;
using TailGuard.Analyzers.SecretFlow;
using TailGuard.Analyzers.Tests.Infrastructure;

namespace TailGuard.Analyzers.Tests.CodeFixes;

public sealed class CodeFixTests
{
    [Fact]
    public Task SequenceEqual_on_secret_bytes_becomes_FixedTimeEquals_in_every_place_with_Fix_All()
    {
        var test = new CodeFixTest<SecretFlowAnalyzer, FixedTimeEqualsCodeFix>
        {
            TestCode = """
                using System;
                using System.Security.Cryptography;
                using TailGuard;
                class C
                {
                    [Secret] private readonly byte[] _key = new byte[4];
                    bool A(byte[] guess) => {|TG4007:System.Linq.Enumerable.SequenceEqual(_key, guess)|};
                    bool B(ReadOnlySpan<byte> guess) => {|TG4007:guess.SequenceEqual(_key)|};
                    bool C2(ReadOnlySpan<byte> guess) => {|TG4007:MemoryExtensions.SequenceEqual(guess, _key)|};
                }
                """,
            FixedCode = """
                using System;
                using System.Security.Cryptography;
                using TailGuard;
                class C
                {
                    [Secret] private readonly byte[] _key = new byte[4];
                    bool A(byte[] guess) => CryptographicOperations.FixedTimeEquals(_key, guess);
                    bool B(ReadOnlySpan<byte> guess) => CryptographicOperations.FixedTimeEquals(guess, _key);
                    bool C2(ReadOnlySpan<byte> guess) => CryptographicOperations.FixedTimeEquals(guess, _key);
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task FixedTimeEquals_is_namespace_qualified_when_the_file_does_not_import_it()
    {
        var test = new CodeFixTest<SecretFlowAnalyzer, FixedTimeEqualsCodeFix>
        {
            TestCode = """
                using System;
                using TailGuard;
                class C
                {
                    [Secret] private readonly byte[] _key = new byte[4];
                    bool B(ReadOnlySpan<byte> guess) => {|TG4007:guess.SequenceEqual(_key)|};
                }
                """,
            FixedCode = """
                using System;
                using TailGuard;
                class C
                {
                    [Secret] private readonly byte[] _key = new byte[4];
                    bool B(ReadOnlySpan<byte> guess) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(guess, _key);
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task String_comparisons_of_secrets_get_no_FixedTimeEquals_fix()
    {
        const string source = """
            using TailGuard;
            class C
            {
                [Secret] private readonly string _password = "p";
                bool A(string guess) => {|TG4007:guess == _password|};
            }
            """;
        var test = new CodeFixTest<SecretFlowAnalyzer, FixedTimeEqualsCodeFix> { TestCode = source, FixedCode = source };
        return test.RunAsync();
    }

    [Fact]
    public Task Lambdas_that_capture_nothing_become_static_with_Fix_All()
    {
        var test = new CodeFixTest<HotPathAllocationAnalyzer, StaticLambdaCodeFix>
        {
            TestCode = """
                using System;
                using TailGuard;
                class C
                {
                    Func<int, int> _f; Func<int> _g;
                    [HotPath] void M()
                    {
                        _f = {|TG3010:x =>|} x + 1;
                        _g = {|TG3010:() =>|} 42;
                        _f = static x => x;
                    }
                }
                """,
            FixedCode = """
                using System;
                using TailGuard;
                class C
                {
                    Func<int, int> _f; Func<int> _g;
                    [HotPath] void M()
                    {
                        _f = static x => x + 1;
                        _g = static () => 42;
                        _f = static x => x;
                    }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Query_clause_lambdas_get_TG3010_that_says_they_cannot_be_static_and_no_fix_and_an_enclosing_lambda_is_never_changed()
    {
        const string source = """
            using System;
            using System.Linq;
            using TailGuard;
            class C
            {
                Func<int[], int> _f;
                [HotPath]
                int M(int[] values)
                {
                    _f = static xs => (from x in xs where {|#0:x > 0|} select x * 2).Sum();
                    var q = from v in values where {|#1:v % 2 == 0|} select v;
                    var n = values.Length;
                    _f = {|TG3008:xs =>|} (from x in xs where {|#2:x > 1|} select x).Sum() + n;
                    return q.Count();
                }
            }
            """;
        var test = new CodeFixTest<HotPathAllocationAnalyzer, StaticLambdaCodeFix> { TestCode = source, FixedCode = source };
        const string advice = "it is written by a query clause, which cannot be made 'static'; to pin it, rewrite the query in method syntax with a 'static' lambda";
        foreach (var location in new[] { 0, 1, 2 })
        {
            test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult("TG3010", Microsoft.CodeAnalysis.DiagnosticSeverity.Info)
                .WithLocation(location).WithArguments(advice, "C.M"));
        }

        // The select clauses ('x * 2', 'v') and the LINQ calls are reported by their own rules, not the subject here.
        test.DisabledDiagnostics.Add("TG3014");
        test.ExpectedDiagnostics.Add(new Microsoft.CodeAnalysis.Testing.DiagnosticResult("TG3010", Microsoft.CodeAnalysis.DiagnosticSeverity.Info)
            .WithSpan(10, 60, 10, 65).WithArguments(advice, "C.M"));
        return test.RunAsync();
    }

    [Fact]
    public Task Empty_arrays_become_Array_Empty_with_Fix_All_and_non_empty_arrays_get_no_fix()
    {
        var test = new CodeFixTest<HotPathAllocationAnalyzer, EmptyArrayCodeFix>
        {
            TestCode = """
                using TailGuard;
                class C
                {
                    object _o;
                    [HotPath] void M(int n)
                    {
                        var a = {|TG3002:new int[0]|};
                        _o = {|TG3002:new string[] { }|};
                        _o = {|TG3002:new byte[n]|};
                        _o = a;
                    }
                }
                """,
            FixedCode = """
                using TailGuard;
                class C
                {
                    object _o;
                    [HotPath] void M(int n)
                    {
                        var a = System.Array.Empty<int>();
                        _o = System.Array.Empty<string>();
                        _o = {|TG3002:new byte[n]|};
                        _o = a;
                    }
                }
                """,
            FixedState = { MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow },
        };
        return test.RunAsync();
    }

    [Fact]
    public Task An_empty_array_with_an_explicit_target_type_can_become_an_empty_collection_expression()
    {
        var test = new CodeFixTest<HotPathAllocationAnalyzer, EmptyArrayCodeFix>
        {
            TestCode = """
                using TailGuard;
                class C
                {
                    [HotPath] int[] M() { int[] a = {|TG3002:new int[0]|}; return a; }
                }
                """,
            FixedCode = """
                using TailGuard;
                class C
                {
                    [HotPath] int[] M() { int[] a = []; return a; }
                }
                """,
            CodeActionEquivalenceKey = "Use an empty collection expression",
            CodeActionIndex = 1,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Fields_receiving_a_secret_become_Secret_with_Fix_All()
    {
        var test = new CodeFixTest<SecretFlowAnalyzer, AddSecretAttributeCodeFix>
        {
            TestCode = """
                using TailGuard;
                class C
                {
                    [Secret] private byte[] _key = new byte[4];
                    private byte[] _copy;
                    private static byte[] s_cache;
                    void M()
                    {
                        {|TG4006:_copy = _key|};
                        {|TG4006:s_cache = _key|};
                    }
                }
                """,
            FixedCode = """
                using TailGuard;
                class C
                {
                    [Secret] private byte[] _key = new byte[4];
                    [Secret]
                    private byte[] _copy;
                    [Secret]
                    private static byte[] s_cache;
                    void M()
                    {
                        _copy = _key;
                        s_cache = _key;
                    }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Secret_is_namespace_qualified_when_the_file_does_not_import_TailGuard()
    {
        var test = new CodeFixTest<SecretFlowAnalyzer, AddSecretAttributeCodeFix>
        {
            TestCode = """
                class C
                {
                    private byte[] _copy;
                    void M([TailGuard.Secret] byte[] key) { {|TG4006:_copy = key|}; }
                }
                """,
            FixedCode = """
                class C
                {
                    [TailGuard.Secret]
                    private byte[] _copy;
                    void M([TailGuard.Secret] byte[] key) { _copy = key; }
                }
                """,
        };
        return test.RunAsync();
    }
}
