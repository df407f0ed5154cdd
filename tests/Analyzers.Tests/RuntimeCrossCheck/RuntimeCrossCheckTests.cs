using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Tests.Infrastructure;
using TailGuard.Analyzers.Tests.RuntimeCrossCheck.Samples;

namespace TailGuard.Analyzers.Tests.RuntimeCrossCheck;

/// <summary>
/// Keeps the allocation rules honest against the real compiler and runtime. Samples/AllocationSamples.cs is compiled
/// into this assembly by the SDK's compiler and also embedded as text: the analyzer must report each rule in the
/// sample's Allocating members and nothing in its Fixed members, and at run time Allocating must allocate and Fixed must
/// not (GC.GetAllocatedBytesForCurrentThread over 10 000 calls after a warm-up).
/// </summary>
public sealed class RuntimeCrossCheckTests
{
    private const int Iterations = 10_000;

    public static TheoryData<string> AllocationRules()
    {
        var data = new TheoryData<string>();
        foreach (var rule in new HotPathAllocationAnalyzer().SupportedDiagnostics)
        {
            if (rule.DefaultSeverity == DiagnosticSeverity.Warning)
            {
                data.Add(rule.Id);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllocationRules))]
    public async Task Rule_flags_a_sample_that_allocates_at_run_time_and_not_its_fix_which_does_not(string ruleId)
    {
        var sample = typeof(Sink).Assembly.GetType(typeof(Sink).Namespace + "." + ruleId + "Sample")
            ?? throw new InvalidOperationException("No runtime sample for " + ruleId);

        var allocating = Measure(Method(sample, "Allocating"));
        var fixedForm = Measure(Method(sample, "Fixed"));
        Assert.True(allocating >= Iterations, $"{ruleId}: the flagged sample allocated only {allocating} bytes in {Iterations} calls");
        Assert.Equal(0, fixedForm);

        var diagnostics = await AnalyzeSamplesAsync();
        var inSample = diagnostics.Where(d => ContainingClass(d) == sample.Name).ToList();
        Assert.Contains(inSample, d => d.Id == ruleId && ContainingMember(d).StartsWith("Allocating", StringComparison.Ordinal));
        Assert.DoesNotContain(inSample, d => d.Severity == DiagnosticSeverity.Warning && ContainingMember(d).StartsWith("Fixed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lambda_that_captures_nothing_is_cached_so_TG3010_is_advice_and_not_an_allocation()
    {
        Assert.Equal(0, Measure(NonCapturingLambda));
        Assert.Equal(0, Measure(StaticLambda));

        var source = """
            using System;
            using TailGuard;
            static class Lambdas
            {
                static Func<int> s_f;
                [HotPath] static void M() { s_f = () => 42; }
            }
            """;
        var diagnostics = await AnalyzeAsync(CSharpSyntaxTree.ParseText(source, Options));
        Assert.Equal("TG3010", Assert.Single(diagnostics).Id);
        Assert.Equal(DiagnosticSeverity.Info, diagnostics[0].Severity);
    }

    private static void NonCapturingLambda() => Sink.Func = () => 42;

    private static void StaticLambda() => Sink.Func = static () => 42;

    private static readonly CSharpParseOptions Options = new(LanguageVersion.Preview);

    private static Action Method(Type sample, string name) =>
        (sample.GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException(sample.Name + "." + name))
            .CreateDelegate<Action>();

    private static long Measure(Action action)
    {
        for (var i = 0; i < 1_000; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeSamplesAsync()
    {
        var trees = new[] { "Sink.cs", "AllocationSamples.cs" }
            .Select(name => CSharpSyntaxTree.ParseText(ReadSample(name), Options, path: name))
            .ToArray();
        return await AnalyzeAsync(trees);
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(params SyntaxTree[] trees)
    {
        var references = await TestReferences.Net10.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var compilation = CSharpCompilation.Create(
            "Samples", trees, references.Add(TestReferences.TailGuardRuntime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The samples must compile as the analyzer sees them: " + string.Join(Environment.NewLine, errors));
        return await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new HotPathAllocationAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
    }

    private static string ReadSample(string name)
    {
        using var stream = typeof(RuntimeCrossCheckTests).Assembly.GetManifestResourceStream("Samples/" + name)
            ?? throw new InvalidOperationException("Sample source not embedded: " + name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string ContainingMember(Diagnostic diagnostic)
    {
        var node = diagnostic.Location.SourceTree!.GetRoot().FindNode(diagnostic.Location.SourceSpan);
        return node.AncestorsAndSelf().OfType<MethodDeclarationSyntax>().FirstOrDefault()?.Identifier.ValueText ?? "";
    }

    private static string ContainingClass(Diagnostic diagnostic)
    {
        var node = diagnostic.Location.SourceTree!.GetRoot().FindNode(diagnostic.Location.SourceSpan);
        return node.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault()?.Identifier.ValueText ?? "";
    }
}
