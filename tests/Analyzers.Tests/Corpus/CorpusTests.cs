using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.SecretFlow;
using TailGuard.Analyzers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Analyzers.Tests.Corpus;

/// <summary>
/// Recall and precision of each rule family on a corpus of service code written from the rule pages (Corpus/Samples):
/// every "// expect: IDs" line must get those diagnostics, every other line none ("// clean" marks the lines that look
/// suspicious on purpose). The suite fails below 95% recall or 95% precision for a family, or when the corpus shrinks.
/// </summary>
public sealed class CorpusTests(ITestOutputHelper output)
{
    private const double Threshold = 0.95;
    private static readonly Regex Expectation = new(@"// expect: (?<ids>(TG\d{4}\s*)+)$", RegexOptions.Compiled);

    [Theory]
    [InlineData("AllocationCorpus.cs", "TG3", 55, 40)]
    [InlineData("SecretCorpus.cs", "TG4", 45, 40)]
    public async Task Rule_family_meets_the_recall_and_precision_bar_on_its_corpus(string file, string family, int minimumPositives, int minimumCleanLines)
    {
        var source = Read(file);
        var expected = Expected(source);
        var cleanLines = source.Split('\n').Count(line => line.TrimEnd().EndsWith("// clean", StringComparison.Ordinal));
        var reported = await AnalyzeAsync(source, file);

        var remaining = expected.GroupBy(e => e).ToDictionary(g => g.Key, g => g.Count());
        var truePositives = 0;
        var falsePositives = new List<string>();
        foreach (var diagnostic in reported.Where(d => d.Id.StartsWith(family, StringComparison.Ordinal)))
        {
            var key = (diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1, diagnostic.Id);
            if (remaining.TryGetValue(key, out var left) && left > 0)
            {
                remaining[key] = left - 1;
                truePositives++;
            }
            else
            {
                falsePositives.Add(diagnostic.ToString());
            }
        }

        var missed = remaining.Where(pair => pair.Value > 0).Select(pair => $"line {pair.Key.Item1}: {pair.Key.Item2} x{pair.Value}").ToList();
        var recall = expected.Count == 0 ? 1 : (double)truePositives / expected.Count;
        var precision = truePositives + falsePositives.Count == 0 ? 1 : (double)truePositives / (truePositives + falsePositives.Count);
        output.WriteLine($"{family}xxx on {file}: {expected.Count} expected diagnostics, {cleanLines} clean lines; " +
            $"recall {recall:P1} ({truePositives}/{expected.Count}), precision {precision:P1} ({truePositives}/{truePositives + falsePositives.Count})");
        foreach (var rule in expected.Select(e => e.Id).Distinct().OrderBy(id => id, StringComparer.Ordinal))
        {
            var ruleExpected = expected.Count(e => e.Id == rule);
            var ruleMissed = remaining.Where(pair => pair.Key.Item2 == rule).Sum(pair => pair.Value);
            output.WriteLine($"  {rule}: {ruleExpected - ruleMissed}/{ruleExpected} found");
        }

        missed.ForEach(m => output.WriteLine("  missed " + m));
        falsePositives.ForEach(f => output.WriteLine("  false positive " + f));

        Assert.True(expected.Count >= minimumPositives, $"the corpus has {expected.Count} expected diagnostics, fewer than {minimumPositives}");
        Assert.True(cleanLines >= minimumCleanLines, $"the corpus has {cleanLines} clean lines, fewer than {minimumCleanLines}");
        Assert.True(recall >= Threshold, $"recall {recall:P1} below {Threshold:P0}; missed: {string.Join("; ", missed)}");
        Assert.True(precision >= Threshold, $"precision {precision:P1} below {Threshold:P0}; false positives: {string.Join("; ", falsePositives)}");
    }

    private static List<(int Line, string Id)> Expected(string source)
    {
        var expected = new List<(int, string)>();
        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (Expectation.Match(lines[i].TrimEnd()) is { Success: true } match)
            {
                foreach (var id in match.Groups["ids"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    expected.Add((i + 1, id));
                }
            }
        }

        return expected;
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source, string path)
    {
        var references = (await TestReferences.Net10.ResolveAsync(LanguageNames.CSharp, CancellationToken.None)).Add(TestReferences.TailGuardRuntime);
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path);
        var compilation = CSharpCompilation.Create("Corpus", [tree], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the corpus must compile: " + string.Join("; ", errors));
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new HotPathAllocationAnalyzer(), new SecretFlowAnalyzer());
        return await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
    }

    private static string Read(string file)
    {
        using var stream = typeof(CorpusTests).Assembly.GetManifestResourceStream("Corpus/" + file)
            ?? throw new InvalidOperationException("missing embedded corpus " + file);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
