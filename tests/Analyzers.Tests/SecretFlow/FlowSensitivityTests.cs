using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.SecretFlow;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// Flow sensitivity as docs/diagnostics/README.md describes it: a variable overwritten with a public value is public
/// from there on, merges of control flow keep what either path holds, loops carry secrets around, catch blocks see
/// what the try did; a second reference to the same array or span sees what is written through the first; nested
/// functions see the enclosing variables. And the cost: linear in the method, never in its number of paths.
/// </summary>
public sealed class FlowSensitivityTests
{
    [Fact]
    public Task Overwriting_a_secret_with_a_public_value_clears_it_and_merges_keep_what_either_path_holds()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                [Secret] private readonly string _password = "p";
                void M(bool flag, byte[] salt, [Secret] byte[] incoming)
                {
                    var a = _seed;
                    a = salt;
                    Console.WriteLine(a);
                    var b = _seed;
                    if (flag) b = salt;
                    Console.WriteLine({|TG4003:b|});
                    var c = _seed;
                    if (flag) c = salt; else c = Array.Empty<byte>();
                    Console.WriteLine(c);
                    var text = _password;
                    text = "public";
                    Console.WriteLine(text);
                    incoming = salt;
                    Console.WriteLine(incoming);
                    var d = flag ? _seed : salt;
                    Console.WriteLine({|TG4003:d|});
                    d = salt ?? _seed;
                    Console.WriteLine({|TG4003:d|});
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Loops_carry_a_secret_into_the_next_iteration_and_catch_blocks_see_what_the_try_held()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                static byte[] Fetch() => new byte[1];
                void M(int n)
                {
                    byte[] previous = null, current = null;
                    for (var i = 0; i < n; i++)
                    {
                        Console.WriteLine({|TG4003:previous|});
                        previous = current;
                        current = _seed;
                    }

                    var k = _seed;
                    try
                    {
                        k = Fetch();
                        Console.WriteLine(k);
                    }
                    catch (InvalidOperationException)
                    {
                        Console.WriteLine({|TG4003:k|});
                    }

                    var cleared = _seed;
                    while (n-- > 0) cleared = Fetch();
                    Console.WriteLine({|TG4003:cleared|});
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Patterns_and_switch_expressions_bind_the_secret_they_match()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly object _material = new byte[32];
                void M()
                {
                    if (_material is byte[] bytes) Console.WriteLine({|TG4003:bytes|});
                    var picked = _material switch { byte[] b => b, _ => Array.Empty<byte>() };
                    Console.WriteLine({|TG4003:picked|});
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_secret_written_through_a_second_reference_to_an_array_or_span_is_seen_through_the_first()
    {
        const string source = """
            using System;
            using TailGuard;
            [TrustDomain] public interface IVault { int Read(Span<byte> destination); int Peek(Span<byte> destination); }
            sealed class Vault : IVault
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                public int Read(Span<byte> destination)
                {
                    var head = destination.Slice(0, 16);
                    {|TG4001:_seed.AsSpan(0, 16).CopyTo(head)|};
                    return 16;
                }

                public int Peek(Span<byte> destination)
                {
                    var buffer = new byte[32];
                    var view = buffer.AsSpan(8);
                    _seed.AsSpan(0, 8).CopyTo(view);
                    Console.WriteLine({|TG4003:buffer|});
                    var alias = buffer;
                    var other = new byte[32];
                    alias[0] = _seed[0];
                    Console.WriteLine(other);
                    Span<byte> span = other;
                    span[1] = _seed[1];
                    Console.WriteLine({|TG4003:other|});
                    return 0;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Lambdas_and_local_functions_see_the_enclosing_secrets_and_local_functions_get_their_arguments()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                Task M(byte[] salt)
                {
                    var local = _seed;
                    Log(local);
                    Log(salt);
                    Console.WriteLine({|TG4003:Echo(_seed)|});
                    Console.WriteLine(Echo(salt) == null ? salt : null);
                    byte[] captured = null;
                    Action set = () => captured = _seed;
                    set();
                    Console.WriteLine({|TG4003:captured|});
                    return Task.Run(() => Console.WriteLine({|TG4003:local|}));

                    void Log(byte[] value) => Console.WriteLine({|TG4003:value|});
                    static byte[] Echo(byte[] value) => value;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public void The_analysis_is_linear_in_the_method_not_in_its_paths()
    {
        // 300 independent branches: 2^300 paths. A path-enumerating analysis never finishes; the fixed point runs each
        // block a bounded number of times, and still finds the one flow that matters.
        var body = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            body.Append("if (flags[").Append(i).Append("]) x = salt; else y = x; ");
        }

        body.Append("for (var i = 0; i < 3; i++) { for (var j = 0; j < 3; j++) { z = y; y = x; } } x = _seed; Console.WriteLine(z); Console.WriteLine(x);");
        var source = "using System; using TailGuard; class C { [Secret] private readonly byte[] _seed = new byte[32]; " +
            "void M(bool[] flags, byte[] salt) { byte[] x = null, y = null, z = null; " + body + " } }";

        var (run, graph) = Run(source);

        Assert.Single(run.Sinks, sink => sink.Rule.Id == "TG4003" && sink.Path.StartsWith("'_seed' -> 'x'", System.StringComparison.Ordinal));
        var blocks = graph.Blocks.Length;
        Assert.True(blocks > 900, $"the method has {blocks} blocks");
        // Solve rounds over the blocks until nothing changes, then one replay: a handful of runs per block, not 2^300.
        Assert.True(run.BlockRuns <= 8 * blocks, $"{run.BlockRuns} block runs for {blocks} blocks");
    }

    private static (TaintRun Run, ControlFlowGraph Graph) Run(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source);
        var references = ((string)System.AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(Infrastructure.TestReferences.TailGuardRuntime);
        var compilation = CSharpCompilation.Create("Linear", [tree], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Single();
        var method = model.GetDeclaredSymbol(declaration)!;
        var graph = ControlFlowGraph.Create((IMethodBodyOperation)model.GetOperation(declaration)!);
        var engine = new SecretFlowEngine(TailGuardSymbols.TryCreate(compilation)!, compilation);
        var run = new TaintRun(engine, method, initial: null, attributeSources: true, SecretFlowEngine.MaxDepth, SecretFlowEngine.NewVisiting());
        run.Execute(graph);
        return (run, graph);
    }
}
