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
/// not (bytes per call on the calling thread, over many windows after a warm-up: AllocationWindows).
/// </summary>
public sealed class RuntimeCrossCheckTests
{
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
    public Task Rule_flags_a_sample_that_allocates_at_run_time_and_not_its_fix_which_does_not(string ruleId) =>
        CrossCheckAsync(ruleId, ruleId + "Sample");

    [Theory]
    [InlineData("TG3006", "TG3006ToStringSample")]
    [InlineData("TG3006", "TG3006EqualsSample")]
    [InlineData("TG3005", "TG3005EnumSample")]
    public Task Variant_of_a_rule_flags_a_sample_that_allocates_and_not_its_fix(string ruleId, string sampleName) =>
        CrossCheckAsync(ruleId, sampleName);

    private static async Task CrossCheckAsync(string ruleId, string sampleName)
    {
        var sample = typeof(Sink).Assembly.GetType(typeof(Sink).Namespace + "." + sampleName)
            ?? throw new InvalidOperationException("No runtime sample " + sampleName);

        Measure(Method(sample, "Allocating")).AssertAllocatesPerCall(1);
        Measure(Method(sample, "Fixed")).AssertNoPerCallAllocation();

        var diagnostics = await AnalyzeSamplesAsync();
        var inSample = diagnostics.Where(d => ContainingClass(d) == sample.Name).ToList();
        Assert.Contains(inSample, d => d.Id == ruleId && ContainingMember(d).StartsWith("Allocating", StringComparison.Ordinal));
        Assert.DoesNotContain(inSample, d => d.Severity == DiagnosticSeverity.Warning && ContainingMember(d).StartsWith("Fixed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GetTypeOnStructSample")]
    [InlineData("NonCapturingLambdaSample")]
    public async Task Code_the_rules_leave_unreported_does_not_allocate_at_run_time(string sampleName)
    {
        var sample = typeof(Sink).Assembly.GetType(typeof(Sink).Namespace + "." + sampleName)
            ?? throw new InvalidOperationException("No runtime sample " + sampleName);
        Measure(Method(sample, "Run")).AssertNoPerCallAllocation();

        var diagnostics = await AnalyzeSamplesAsync();
        Assert.DoesNotContain(diagnostics, d => ContainingClass(d) == sample.Name && d.Severity == DiagnosticSeverity.Warning);
    }

    [Fact]
    public async Task A_lambda_that_captures_nothing_gets_TG3010_as_advice_at_Info_severity()
    {
        var diagnostics = await AnalyzeSamplesAsync();
        var advice = Assert.Single(diagnostics, d => ContainingClass(d) == nameof(NonCapturingLambdaSample));
        Assert.Equal("TG3010", advice.Id);
        Assert.Equal(DiagnosticSeverity.Info, advice.Severity);
    }

    private static readonly CSharpParseOptions Options = new(LanguageVersion.Preview);

    private static Action Method(Type sample, string name) =>
        (sample.GetMethod(name, BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException(sample.Name + "." + name))
            .CreateDelegate<Action>();

    private static AllocationReport Measure(Action action) => AllocationWindows.OnThisThread(_ => action());

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
