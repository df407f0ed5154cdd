using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>
/// Runs sources the way a user's build does, held to the strictest bar: both generators and the contract analyzers, then
/// the compiler with nullable enabled, XML documentation diagnosed and every warning of the latest wave reported; any
/// warning or error anywhere fails. Then the assembly is loaded into a collectible context and its driver run end to end.
/// </summary>
internal static class ScenarioRunner
{
    private static readonly CSharpParseOptions Options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>Generates, analyzes and compiles <paramref name="sources"/>; throws with every problem found.</summary>
    public static Compilation Compile(string[] sources)
    {
        SyntaxTree[] trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, Options, path: "Scenario" + i + ".cs")).ToArray();
        CSharpCompilation input = GeneratorHarness.Compile(trees);
        input = input.WithOptions(input.Options.WithWarningLevel(9999).WithGeneralDiagnosticOption(ReportDiagnostic.Default));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new R2P2ServiceGenerator().AsSourceGenerator(), new TrustDomainGenerator().AsSourceGenerator() },
            parseOptions: Options);
        driver.RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        var problems = generatorDiagnostics
            .Concat(GeneratorHarness.ContractDiagnostics(output))
            .Concat(output.GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => d.ToString())
            .ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("The scenario does not build cleanly:\n" + string.Join("\n", problems.Take(40)) + "\n" + Generated(output));
        }

        return output;
    }

    /// <summary>Emits <paramref name="compilation"/>, loads it, runs its driver and unloads it.</summary>
    public static void Run(Compilation compilation, string driverName, TimeSpan timeout)
    {
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("Emit failed:\n" + string.Join("\n", emitted.Diagnostics));
        }

        image.Position = 0;
        var context = new AssemblyLoadContext("TailGuard.Generators.Tests.Scenario", isCollectible: true);
        try
        {
            Assembly assembly = context.LoadFromStream(image);
            Type driver = assembly.GetTypes().Single(t => t.Name == driverName);
            if (driver.IsGenericTypeDefinition)
            {
                driver = driver.MakeGenericType(driver.GetGenericArguments().Select(_ => typeof(int)).ToArray());
            }

            var task = (Task)driver.GetMethod("RunAsync", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
            if (!task.Wait(timeout))
            {
                throw new TimeoutException("The driver did not finish within " + timeout + ".");
            }
        }
        catch (AggregateException error) when (error.InnerExceptions.Count == 1)
        {
            throw new InvalidOperationException("The driver failed: " + error.InnerException!.Message, error.InnerException);
        }
        finally
        {
            context.Unload();
        }
    }

    private static string Generated(Compilation output)
        => string.Join("\n", output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).Select(t => "// " + t.FilePath + "\n" + t));
}
