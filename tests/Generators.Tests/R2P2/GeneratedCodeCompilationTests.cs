using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// The generated code compiles with nullable on, every warning (including the latest warning wave and missing XML
/// docs) reported as an error, against the running host's framework and the TailGuard runtime.
/// </summary>
public class GeneratedCodeCompilationTests
{
    public static TheoryData<string> Services => new(ServiceSources.All.Keys);

    [Theory]
    [MemberData(nameof(Services))]
    public void Generated_code_compiles_without_any_warning(string service)
    {
        CSharpParseOptions options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        SyntaxTree tree = CSharpSyntaxTree.ParseText(ServiceSources.All[service], options, path: service + ".cs");
        CSharpCompilation compilation = GeneratorHarness.Compile(tree);
        CSharpCompilation input = compilation.WithOptions(compilation.Options.WithWarningLevel(9999));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new R2P2ServiceGenerator().AsSourceGenerator() }, parseOptions: options);
        driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        var generatedProblems = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) == true)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(generatedProblems.Count == 0, string.Join("\n", generatedProblems));
        // The inputs leave some public types undocumented (CS1591); only the generated files are held to the docs rule.
        var allErrors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS1591").Select(d => d.ToString()).ToList();
        Assert.True(allErrors.Count == 0, string.Join("\n", allErrors));
    }
}
