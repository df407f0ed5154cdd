using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Testing;
using TailGuard;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Contracts;
using TailGuard.Analyzers.Determinism;
using TailGuard.Analyzers.SecretFlow;

// Usage: dotnet run -c Release --project benchmarks/analyzers/AnalyzerCost -- DIR [ROUNDS] [profile|ownwork]
// Analyzes every .cs file under DIR with a baseline analyzer that walks every operation tree (what any IOperation
// analyzer, such as the SDK's own, already pays for), then with the baseline plus each TailGuard analyzer alone and plus
// all six, and prints the process CPU each configuration took (median of ROUNDS, configurations
// interleaved, after a warm-up round). The difference is what TailGuard adds. Sequential analysis, and CPU time rather
// than wall time, so other processes on a shared machine blur it less. Last, one run of all six with the driver's
// per-analyzer accounting (what -p:ReportAnalyzer=true prints in a build) says which analyzer the time goes to.
var directory = args.Length > 0 ? args[0] : throw new ArgumentException("usage: AnalyzerCost DIR [ROUNDS]");
var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var options = new CSharpParseOptions(LanguageVersion.Preview);
var trees = Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
    .Select(path => CSharpSyntaxTree.ParseText(File.ReadAllText(path), options, path))
    .ToArray();
var packs = new ReferenceAssemblies("net10.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"), Path.Combine("ref", "net10.0"));
var references = (await packs.ResolveAsync(LanguageNames.CSharp, CancellationToken.None))
    .Add(MetadataReference.CreateFromFile(typeof(HotPathAttribute).Assembly.Location));
var compilation = CSharpCompilation.Create("Measured", trees, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
Console.WriteLine($"{trees.Length} files, {trees.Sum(t => t.GetText().Lines.Count)} lines");

var configurations = new List<(string Name, Func<DiagnosticAnalyzer[]> Analyzers)> { ("baseline (walk every operation tree)", () => [new WalkEveryOperation()]) };
foreach (var analyzer in AllTailGuardAnalyzers())
{
    var type = analyzer.GetType();
    configurations.Add(("baseline + " + type.Name, () => [new WalkEveryOperation(), (DiagnosticAnalyzer)Activator.CreateInstance(type)!]));
}

configurations.Add(("baseline + all six TailGuard analyzers", () => [new WalkEveryOperation(), .. AllTailGuardAnalyzers()]));

// COMPARE_WITH=path/to/TailGuard.Analyzers.dll (another build, e.g. main's): its six analyzers, loaded side by side in
// their own load context, are one more configuration, interleaved with this build's: an A/B in one process.
var compared = Environment.GetEnvironmentVariable("COMPARE_WITH") is { Length: > 0 } other
    ? new IsolatedAnalyzers(Path.GetFullPath(other)).LoadFromAssemblyPath(Path.GetFullPath(other))
    : null;
if (compared is not null)
{
    var types = compared.GetTypes().Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.IsPublic).ToArray();
    configurations.Add(($"baseline + all {types.Length} from COMPARE_WITH", () =>
        [new WalkEveryOperation(), .. types.Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)]));
    // The A/B alone: baseline, this build, the other build.
    configurations.RemoveAll(c => c.Name.StartsWith("baseline + ", StringComparison.Ordinal) && !c.Name.Contains(" all ", StringComparison.Ordinal));
}

// "profile": one warm-up and one run of all six, nothing else, for a profiler (dotnet-trace) to sample.
if (args.Length > 2 && args[2] == "profile")
{
    await RunAsync(configurations[^1].Analyzers());
    var started = Process.GetCurrentProcess().TotalProcessorTime;
    Console.WriteLine($"{await RunAsync(configurations[^1].Analyzers())} diagnostics, {(Process.GetCurrentProcess().TotalProcessorTime - started).TotalMilliseconds:F0} ms CPU");
    return;
}

// "ownwork": what TailGuard's two flow analyzers do themselves, without the compiler work they trigger first in a build. On a
// compilation whose declarations are complete (the symbol and attribute binding the first look would otherwise trigger,
// which the compile does anyway) and whose bodies are bound (the build's own analyzers bind them; analyzers share the
// bound trees), ROUNDS timed runs after a warm-up, with COMPARE_WITH's build interleaved, of (1) the once-per-compilation
// first look (SourceNames.Build), (2) its analysis of every code block of the sources that are not generated, as the
// driver hands them over (control-flow graphs, taint runs, callee summaries), and (3) the allocation analyzer's analysis of
// the blocks on hot paths (allocation detection, callee allocation summaries). Prints medians of the wall time, of the GC
// pauses inside it (any thread's collections stop this one) and of the bytes this thread allocated. Reached by
// reflection: the types are internal, and COMPARE_WITH's are another assembly's.
if (args.Length > 2 && args[2] == "ownwork")
{
    compilation.GetDeclarationDiagnostics();
    var blocks = CodeBlocks(compilation);
    var builds = new List<(string Name, System.Reflection.Assembly Assembly)> { ("this build", typeof(SecretFlowAnalyzer).Assembly) };
    if (compared is not null)
    {
        builds.Add(("COMPARE_WITH", compared));
    }

    const System.Reflection.BindingFlags Internal = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance;
    var samples = builds.Select(_ => new Dictionary<string, List<double>>()).ToArray();
    var reported = new int[builds.Count];
    var hot = 0;
    for (var round = 0; round <= rounds; round++)
    {
        for (var b = 0; b < builds.Count; b++)
        {
            var assembly = builds[b].Assembly;
            var symbols = assembly.GetType("TailGuard.Analyzers.Common.TailGuardSymbols", throwOnError: true)!.GetMethod("TryCreate", Internal)!.Invoke(null, [compilation]);
            var engineType = assembly.GetType("TailGuard.Analyzers.SecretFlow.SecretFlowEngine", throwOnError: true)!;
            var engine = Activator.CreateInstance(engineType, Internal, null, [symbols, compilation], null);
            // The engine's first look is built once, by the first block it analyzes: asked for here, it is timed alone.
            var firstLook = engineType.GetField("_sourceNames", Internal)!.GetValue(engine)!;
            var analyze = engineType.GetMethod("Analyze", Internal)!;
            // Fresh models, bound before the clock starts, as the driver's are by the time a TailGuard callback runs.
            var models = compilation.SyntaxTrees.ToDictionary(tree => tree, tree => compilation.GetSemanticModel(tree));
            foreach (var (owner, block) in blocks)
            {
                models[block.SyntaxTree].GetOperation(block);
            }

            // The allocation analyzer's per-compilation state and its per-block analysis, as its compilation-start action
            // builds and calls them: the hot blocks are found first, untimed (the scope's attribute lookups are the
            // compile's work too).
            var scope = Activator.CreateInstance(assembly.GetType("TailGuard.Analyzers.Common.HotPathScope", throwOnError: true)!, Internal, null, [symbols], null)!;
            var detector = Activator.CreateInstance(assembly.GetType("TailGuard.Analyzers.Allocations.AllocationDetector", throwOnError: true)!, Internal, null, [symbols], null)!;
            var summaries = Activator.CreateInstance(assembly.GetType("TailGuard.Analyzers.Allocations.CalleeAllocationSummaries", throwOnError: true)!, Internal, null, [compilation, detector, scope], null)!;
            var isHotPath = scope.GetType().GetMethod("IsHotPath", Internal)!;
            var hotPathAnalyze = assembly.GetType("TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer", throwOnError: true)!.GetMethod("Analyze", Internal)!;
            var hotBlocks = blocks.Where(block => (bool)isHotPath.Invoke(scope, [block.Owner])!).ToList();

            var count = 0;
            Action<Diagnostic> report = _ => count++;
            Measure("first look", () => firstLook.GetType().GetProperty("Value")!.GetValue(firstLook));
            Measure("every block", () =>
            {
                foreach (var (owner, block) in blocks)
                {
                    analyze.Invoke(engine, [owner, block, models[block.SyntaxTree], report, CancellationToken.None]);
                }
            });
            Measure("hot blocks (allocations)", () =>
            {
                foreach (var (owner, block) in hotBlocks)
                {
                    if (models[block.SyntaxTree].GetOperation(block) is { } body)
                    {
                        hotPathAnalyze.Invoke(null, [owner, body, detector, summaries, report]);
                    }
                }
            });
            reported[b] = count;
            hot = hotBlocks.Count;

            void Measure(string part, Action work)
            {
                var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                var pausedBefore = GC.GetTotalPauseDuration();
                var started = Stopwatch.GetTimestamp();
                work();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (round == 0)
                {
                    return;
                }

                Add(part + " ms", elapsed);
                Add(part + " GC pause ms", (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds);
                Add(part + " MB", (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 1e6);
            }

            void Add(string key, double value)
            {
                if (!samples[b].TryGetValue(key, out var list))
                {
                    samples[b][key] = list = [];
                }

                list.Add(value);
            }
        }
    }

    Console.WriteLine($"{blocks.Count} code blocks outside generated files, {hot} of them on hot paths");
    for (var b = 0; b < builds.Count; b++)
    {
        Console.WriteLine($"{builds[b].Name}: {reported[b]} diagnostics");
        foreach (var (key, list) in samples[b])
        {
            list.Sort();
            Console.WriteLine($"  {key,-26} median {list[rounds / 2],8:F1}  (min {list[0]:F1}, max {list[^1]:F1})");
        }
    }

    return;
}

// Warm every configuration up, then interleave them round by round, so drift (JIT, GC heap growth) hits all alike.
var cpu = new double[configurations.Count][];
// Bytes allocated by the whole process during each run: the analysis runs on the driver's threads, and a collection
// the analyzers' garbage causes is CPU that their callbacks' accounting may not show.
var allocated = new double[configurations.Count][];
var diagnostics = new int[configurations.Count];
for (var c = 0; c < configurations.Count; c++)
{
    cpu[c] = new double[rounds];
    allocated[c] = new double[rounds];
    await RunAsync(configurations[c].Analyzers());
}

for (var round = 0; round < rounds; round++)
{
    for (var c = 0; c < configurations.Count; c++)
    {
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        diagnostics[c] = await RunAsync(configurations[c].Analyzers());
        cpu[c][round] = (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds;
        allocated[c][round] = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1e6;
    }
}

for (var c = 0; c < configurations.Count; c++)
{
    Array.Sort(cpu[c]);
    Array.Sort(allocated[c]);
    Console.WriteLine($"{configurations[c].Name,-40} median {cpu[c][rounds / 2],8:F0} ms CPU  (min {cpu[c][0]:F0}, max {cpu[c][^1]:F0}), {allocated[c][rounds / 2],6:F0} MB allocated, {diagnostics[c]} diagnostics");
}

// The driver's accounting per analyzer, in one sequential run: wall time of each analyzer's callbacks.
{
    var analyzers = AllTailGuardAnalyzers();
    var withAnalyzers = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees).WithAnalyzers(
        ImmutableArray.Create(analyzers),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
    var reported = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
    foreach (var group in reported.GroupBy(d => d.Id).OrderBy(g => g.Key))
    {
        Console.WriteLine($"  {group.Key} x{group.Count()}, e.g. {group.First()}");
    }

    foreach (var analyzer in analyzers)
    {
        var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
        Console.WriteLine($"  {analyzer.GetType().Name,-38} {telemetry.ExecutionTime.TotalMilliseconds,8:F0} ms (driver's accounting)");
    }
}

// The code blocks of the files that are not generated, as the driver hands them to a code-block action: a method's,
// an operator's or a constructor's declaration, an accessor, an expression-bodied property (its getter's), and a field
// or a property with an initializer (the field's declaration, once per variable; the property's declaration).
static List<(ISymbol Owner, SyntaxNode Block)> CodeBlocks(Compilation compilation)
{
    var blocks = new List<(ISymbol, SyntaxNode)>();
    foreach (var tree in compilation.SyntaxTrees.Where(tree => !tree.FilePath.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase)))
    {
        var model = compilation.GetSemanticModel(tree);
        foreach (var node in tree.GetRoot().DescendantNodes(node => node is not (BaseMethodDeclarationSyntax or AccessorDeclarationSyntax)))
        {
            switch (node)
            {
                case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax when model.GetDeclaredSymbol(node) is { } owner:
                    blocks.Add((owner, node));
                    break;
                case PropertyDeclarationSyntax { ExpressionBody: { } body } property when model.GetDeclaredSymbol(property)?.GetMethod is { } getter:
                    blocks.Add((getter, body));
                    break;
                case PropertyDeclarationSyntax { Initializer: not null } property when model.GetDeclaredSymbol(property) is { } owner:
                    blocks.Add((owner, property));
                    break;
                case BaseFieldDeclarationSyntax field:
                    foreach (var variable in field.Declaration.Variables)
                    {
                        if (variable.Initializer is not null && model.GetDeclaredSymbol(variable) is { } owner)
                        {
                            blocks.Add((owner, field));
                        }
                    }

                    break;
            }
        }
    }

    return blocks;
}

static DiagnosticAnalyzer[] AllTailGuardAnalyzers() =>
[
    new HotPathAllocationAnalyzer(), new SecretFlowAnalyzer(), new DeterminismAnalyzer(), new ReplicatedContractAnalyzer(),
    new R2P2ContractAnalyzer(), new TrustBoundaryContractAnalyzer(),
];

async Task<int> RunAsync(DiagnosticAnalyzer[] analyzers)
{
    // A new Compilation each time, so no round reuses another's bound method bodies.
    var fresh = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees);
    var withAnalyzers = fresh.WithAnalyzers(
        ImmutableArray.Create(analyzers),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false));
    return (await withAnalyzers.GetAnalyzerDiagnosticsAsync()).Length;
}

[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class WalkEveryOperation : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Never = new("PERF0001", "Never reported", "Never reported", "Perf", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

    public static long Operations;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Never);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterOperationBlockAction(block =>
        {
            foreach (var body in block.OperationBlocks)
            {
                Interlocked.Add(ref Operations, body.DescendantsAndSelf().LongCount());
            }
        });
    }
}

// Loads another build of TailGuard.Analyzers beside this one; Roslyn and everything else come from the default context.
internal sealed class IsolatedAnalyzers(string path) : System.Runtime.Loader.AssemblyLoadContext(isCollectible: false)
{
    protected override System.Reflection.Assembly? Load(System.Reflection.AssemblyName name) =>
        name.Name == "TailGuard.Analyzers" ? LoadFromAssemblyPath(path) : null;
}
