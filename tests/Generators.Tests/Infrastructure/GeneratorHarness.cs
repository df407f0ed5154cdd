using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Contracts;

namespace TailGuard.Generators.Tests.Infrastructure;

/// <summary>Compiles test sources against the running host's framework and the TailGuard runtime, and runs a generator.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    /// <summary>What test sources compile against: the running host's framework and the TailGuard runtime.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params string[] sources)
        => Compile(sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Source" + i + ".cs")).ToArray());

    public static CSharpCompilation Compile(params SyntaxTree[] trees)
        => CSharpCompilation.Create(
            "GeneratorTestAssembly",
            trees,
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error,
                allowUnsafe: true));

    public static GeneratorDriver CreateDriver(IIncrementalGenerator generator, bool trackSteps = true)
        => CSharpGeneratorDriver.Create(
            new[] { generator.AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>
    /// Runs the generator once, then the contract analyzers over its output (as a build does), and returns the
    /// compilation with the generated sources, the contract diagnostics (TG1xxx, TG2xxx) and the run. Fails if the
    /// generator reported any diagnostic itself: the analyzers own the contract rules, so none is ever reported twice.
    /// </summary>
    public static (Compilation Output, ImmutableArray<Diagnostic> ContractDiagnostics, GeneratorDriverRunResult Run) Run(IIncrementalGenerator generator, params string[] sources)
    {
        CSharpCompilation input = Compile(sources);
        GeneratorDriver driver = CreateDriver(generator).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        Xunit.Assert.True(generatorDiagnostics.IsEmpty, "the generator reported " + string.Join(", ", generatorDiagnostics));
        return (output, ContractDiagnostics(output), driver.GetRunResult());
    }

    /// <summary>The diagnostics both contract analyzers report on <paramref name="compilation"/>, in source order.</summary>
    public static ImmutableArray<Diagnostic> ContractDiagnostics(Compilation compilation)
        => compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new R2P2ContractAnalyzer(), new TrustBoundaryContractAnalyzer()))
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult()
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToImmutableArray();

    /// <summary>Compiler errors and warnings of a compilation (hidden and info diagnostics left out).</summary>
    public static IReadOnlyList<Diagnostic> Problems(Compilation compilation)
        => compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();

    /// <summary>Fails unless each of <paramref name="steps"/> ran and every output of them and of the source outputs was cached or unchanged.</summary>
    public static void AssertNothingRegenerated(GeneratorRunResult result, IEnumerable<string> steps)
    {
        foreach (string step in steps)
        {
            ImmutableArray<IncrementalGeneratorRunStep> runs = result.TrackedSteps[step];
            Xunit.Assert.NotEmpty(runs);
            Xunit.Assert.All(runs.SelectMany(r => r.Outputs), output => Xunit.Assert.True(
                output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step} output was {output.Reason}"));
        }

        Xunit.Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs), output =>
            Xunit.Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output step was {output.Reason}"));
    }

    /// <summary>
    /// Fails unless <paramref name="received"/> equals Golden/{name}.verified.cs; on a mismatch leaves Golden/{name}.received.cs
    /// beside it. TAILGUARD_ACCEPT_GOLDEN=1 re-accepts instead. The generator version is written as {version}.
    /// </summary>
    public static void MatchGolden(string name, string received)
    {
        // The generator's version (from its assembly) is the one part of the output that changes on every release.
        string version = TailGuard.Generators.Common.GeneratorInfo.Version;
        received = received
            .Replace("TailGuard.Generators " + version + " ", "TailGuard.Generators {version} ", StringComparison.Ordinal)
            .Replace("GeneratedCode(\"TailGuard.Generators\", \"" + version + "\")", "GeneratedCode(\"TailGuard.Generators\", \"{version}\")", StringComparison.Ordinal);
        string directory = RepositoryRoot.Combine("tests", "Generators.Tests", "Golden");
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        if (Environment.GetEnvironmentVariable("TAILGUARD_ACCEPT_GOLDEN") == "1")
        {
            File.WriteAllText(verifiedPath, received);
            File.Delete(receivedPath);
            return;
        }

        string verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n", StringComparison.Ordinal) : string.Empty;
        if (verified != received)
        {
            File.WriteAllText(receivedPath, received);
            Xunit.Assert.Fail($"The generated source for {name} differs from {verifiedPath}; see {receivedPath}. Re-accept with TAILGUARD_ACCEPT_GOLDEN=1 if the change is intended.");
        }

        File.Delete(receivedPath);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .ToList();
        paths.Add(typeof(TailGuard.R2P2ServiceAttribute).Assembly.Location);
        return paths.Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    }
}
