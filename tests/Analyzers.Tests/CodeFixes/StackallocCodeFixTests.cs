using System.Threading.Tasks;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.CodeFixes;
using TailGuard.Analyzers.Tests.Infrastructure;

namespace TailGuard.Analyzers.Tests.CodeFixes;

/// <summary>
/// The TG3002 stackalloc fix as docs/diagnostics/TG3002.md describes it: a small constant-size array local used only as
/// a span would be becomes a stackalloc'd span; every other array keeps its diagnostic and gets no fix.
/// </summary>
public sealed class StackallocCodeFixTests
{
    [Fact]
    public Task Small_constant_size_array_locals_become_stackalloc_spans_with_Fix_All()
    {
        var test = new CodeFixTest<HotPathAllocationAnalyzer, StackallocCodeFix>
        {
            TestCode = """
                using System;
                using System.Security.Cryptography;
                using TailGuard;
                enum Flag : short { None, Set }
                class C
                {
                    [HotPath]
                    int M(ReadOnlySpan<byte> message, Span<byte> destination)
                    {
                        var digest = {|TG3002:new byte[32]|};
                        SHA256.HashData(message, digest);
                        digest.AsSpan(0, 16).CopyTo(destination);
                        byte[] header = {|TG3002:new byte[] { 1, 2, 3 }|};
                        var counts = {|TG3002:new[] { 1, 2 }|};
                        Flag[] flags = {|TG3002:new Flag[4]|};
                        flags[0] = Flag.Set;
                        var total = 0;
                        foreach (var b in header) total += b;
                        return total + digest[0] + digest.Length + counts[1] + header.AsSpan().Length + (int)flags[0];
                    }
                }
                """,
            FixedCode = """
                using System;
                using System.Security.Cryptography;
                using TailGuard;
                enum Flag : short { None, Set }
                class C
                {
                    [HotPath]
                    int M(ReadOnlySpan<byte> message, Span<byte> destination)
                    {
                        Span<byte> digest = stackalloc byte[32];
                        SHA256.HashData(message, digest);
                        digest.Slice(0, 16).CopyTo(destination);
                        Span<byte> header = stackalloc byte[] { 1, 2, 3 };
                        Span<int> counts = stackalloc[] { 1, 2 };
                        Span<Flag> flags = stackalloc Flag[4];
                        flags[0] = Flag.Set;
                        var total = 0;
                        foreach (var b in header) total += b;
                        return total + digest[0] + digest.Length + counts[1] + header.Length + (int)flags[0];
                    }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Span_is_namespace_qualified_when_the_file_does_not_import_System()
    {
        var test = new CodeFixTest<HotPathAllocationAnalyzer, StackallocCodeFix>
        {
            TestCode = """
                using TailGuard;
                class C
                {
                    [HotPath] int M() { var scratch = {|TG3002:new int[8]|}; scratch[1] = 3; return scratch[1]; }
                }
                """,
            FixedCode = """
                using TailGuard;
                class C
                {
                    [HotPath] int M() { System.Span<int> scratch = stackalloc int[8]; scratch[1] = 3; return scratch[1]; }
                }
                """,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task Arrays_that_escape_are_large_variable_in_a_loop_in_async_code_or_not_primitive_get_no_fix()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using TailGuard;
            class C
            {
                byte[] _kept;
                static int Sum(byte[] values) => values.Length;
                [HotPath]
                byte[] M(int n)
                {
                    var returned = {|TG3002:new byte[16]|};
                    var stored = {|TG3002:new byte[16]|};
                    _kept = stored;
                    var large = {|TG3002:new byte[1024]|};
                    large[0] = 1;
                    var sized = {|TG3002:new byte[n]|};
                    sized[0] = 1;
                    var passed = {|TG3002:new byte[4]|};
                    Sum(passed);
                    var captured = {|TG3002:new byte[4]|};
                    Func<int> f = () => captured.Length;
                    var names = {|TG3002:new string[2]|};
                    names[0] = "a";
                    var reassigned = {|TG3002:new byte[4]|};
                    reassigned = _kept;
                    for (var i = 0; i < 2; i++)
                    {
                        var inLoop = {|TG3002:new byte[8]|};
                        inLoop[0] = 1;
                    }

                    byte[] first = {|TG3002:new byte[2]|}, second = null;
                    first[0] = 1;
                    return returned;
                }

                [HotPath]
                async Task<int> Later()
                {
                    var buffer = {|TG3002:new byte[8]|};
                    await Task.Yield();
                    return buffer[0];
                }
            }
            """;
        var test = new CodeFixTest<HotPathAllocationAnalyzer, StackallocCodeFix>
        {
            TestCode = source,
            FixedCode = source,
        };
        // Closure (TG3008) and the async state machine (TG3017) are reported too; they are not what this test is about.
        test.DisabledDiagnostics.AddRange(["TG3008", "TG3009", "TG3017"]);
        return test.RunAsync();
    }
}
