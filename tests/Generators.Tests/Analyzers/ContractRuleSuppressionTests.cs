using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Contracts;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.Analyzers;

/// <summary>
/// Issue 13: the contract rules are analyzer diagnostics, so every TG1xxx and TG2xxx rule can be silenced with
/// <c>#pragma warning disable</c> and <c>[SuppressMessage]</c> and re-rated with .editorconfig
/// (<c>dotnet_diagnostic.ID.severity</c>: none, warning, error), exactly as the compiler applies them in a build; and a
/// suppressed error still stops generation, while a suppressed warning does not.
/// </summary>
public sealed class ContractRuleSuppressionTests
{
    private const string Usings = "using System;\nusing TailGuard;\nusing TailGuard.R2P2;\n";

    internal static readonly Dictionary<string, string> Triggers = new(StringComparer.Ordinal)
    {
        ["TG1001"] = "[R2P2Service] public interface IService { void Call(object value); }",
        ["TG1002"] = "[R2P2Service] public interface IService { object Call(); }",
        ["TG1003"] = "[R2P2Service] public interface IService { void Call(ref int value); }",
        ["TG1004"] = "[R2P2Service] public interface IService { void Call<T>(int value); }",
        ["TG1005"] = "[R2P2Service] public interface IService<T> { void Call(); }",
        ["TG1006"] = "[R2P2Service] public interface IService { [R2P2Method(5)] void A(); [R2P2Method(5)] void B(); }",
        ["TG1007"] = "[R2P2Service] public interface IService { void Put(int a); void PutAsync(int a); }",
        ["TG1008"] = "[R2P2Service] public interface IService { int Count { get; } }",
        ["TG1009"] = "[R2P2Service] public interface IService { long Call(Span<byte> a); }",
        ["TG1010"] = "public interface IBase { }\n[R2P2Service] public interface IService : IBase { void Call(); }",
        ["TG1011"] = "public class Outer { [R2P2Service] public interface IService { void Call(); } }",
        ["TG1012"] = "[R2P2Service(Policy = (RoutingPolicy)9)] public interface IService { void Call(); }",
        ["TG1013"] = "[R2P2Service] public interface IService { void Call([R2P2MaxLength(-1)] string text); }",
        ["TG1014"] = "[R2P2Service] file interface IService { void Call(); }",
        ["TG1015"] = "public class ServiceClient { }\n[R2P2Service] public interface IService { void Call(); }",
        ["TG1030"] = "[R2P2Service] public interface IService { void Call([R2P2MaxLength(16777217)] string text); }",
        ["TG2001"] = "[TrustDomain] public interface IDomain { void Call(byte[] data); }",
        ["TG2002"] = "[TrustDomain] public interface IDomain { string Name(); }",
        ["TG2003"] = "[TrustDomain] public interface IDomain { void Call([UserCheck, InOut, Bounded(8)] Span<byte> data); }",
        ["TG2004"] = "[TrustDomain] public interface IDomain { void Call(object value); }",
        ["TG2005"] = "[TrustDomain] public interface IDomain { void Call(ReadOnlySpan<byte> data); }",
        ["TG2006"] = "[TrustDomain] public interface IDomain { void Call(ref int value); }",
        ["TG2007"] = "[TrustDomain] public interface IDomain { void Call<T>(int value); }",
        ["TG2008"] = "[TrustDomain] public interface IDomain { int Value { get; } }",
        ["TG2009"] = "[TrustDomain] public interface IDomain { void Call([UserCheck, Bounded(8)] ReadOnlySpan<byte> data); }",
        ["TG2010"] = "[TrustDomain] public interface IDomain { void Call([Bounded(0)] ReadOnlySpan<byte> data); }",
        ["TG2011"] = "[TrustDomain] public interface IDomain { void Call([InOut] int data); }",
        ["TG2012"] = "public class Outer { [TrustDomain] public interface IDomain { void Call(int value); } }",
        ["TG2013"] = "public interface IBase { }\n[TrustDomain] public interface IDomain : IBase { void Call(int value); }",
        ["TG2014"] = "public struct Padded { public int A; public long B; }\n[TrustDomain] public interface IDomain { void Call(Padded value); }",
        ["TG2015"] = "public struct Flagged { public bool On; public byte Pad0; public short Pad1; public int Pad2; }\n[TrustDomain] public interface IDomain { void Call(Flagged value); }",
        ["TG2016"] = "[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)] public struct Loose { public long A; }\n[TrustDomain] public interface IDomain { void Call(Loose value); }",
        ["TG2020"] = "[TrustDomain] file interface IDomain { void Call(int value); }",
        ["TG2021"] = "public class DomainProxy { }\n[TrustDomain] public interface IDomain { void Call(int value); }",
    };

    public static TheoryData<string> Rules => new(R2P2Diagnostics.All.Concat(TrustDomainDiagnostics.All).Select(d => d.Id));

    public static TheoryData<string, string> RulesAndSeverities
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string id in R2P2Diagnostics.All.Concat(TrustDomainDiagnostics.All).Select(d => d.Id))
            {
                foreach (string severity in new[] { "none", "warning", "error" })
                {
                    data.Add(id, severity);
                }
            }

            return data;
        }
    }

    [Fact]
    public void Every_rule_has_a_trigger_here()
        => Assert.Equal(Triggers.Keys.OrderBy(k => k, StringComparer.Ordinal), R2P2Diagnostics.All.Concat(TrustDomainDiagnostics.All).Select(d => d.Id).OrderBy(k => k, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Rules))]
    public void The_rule_is_reported_with_its_default_severity(string id)
    {
        Diagnostic diagnostic = Assert.Single(Analyze(Source(id)), d => d.Id == id);

        Assert.Equal(Descriptor(id).DefaultSeverity, diagnostic.Severity);
        Assert.False(diagnostic.IsSuppressed);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Pragma_warning_disable_silences_the_rule(string id)
    {
        string source = "#pragma warning disable " + id + "\n" + Source(id);

        Assert.DoesNotContain(Analyze(source), d => d.Id == id);
        Assert.All(Analyze(source, reportSuppressed: true).Where(d => d.Id == id), d => Assert.True(d.IsSuppressed));
        Assert.Contains(Analyze(source, reportSuppressed: true), d => d.Id == id);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void SuppressMessage_silences_the_rule(string id)
    {
        string source = Usings + "[assembly: System.Diagnostics.CodeAnalysis.SuppressMessage(\"" + Descriptor(id).Category + "\", \"" + id + ":" + Descriptor(id).Title + "\", Justification = \"test\")]\n" + Triggers[id];

        Assert.DoesNotContain(Analyze(source), d => d.Id == id);
        Assert.Contains(Analyze(source, reportSuppressed: true), d => d.Id == id && d.IsSuppressed);
    }

    [Theory]
    [MemberData(nameof(RulesAndSeverities))]
    public void Editorconfig_severity_rates_the_rule(string id, string severity)
    {
        var diagnostics = Analyze(Source(id), editorconfig: "root = true\n\n[*.cs]\ndotnet_diagnostic." + id + ".severity = " + severity + "\n");

        if (severity == "none")
        {
            Assert.DoesNotContain(diagnostics, d => d.Id == id);
        }
        else
        {
            Assert.Equal(severity == "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, Assert.Single(diagnostics, d => d.Id == id).Severity);
        }
    }

    [Fact]
    public void Editorconfig_category_severity_applies_to_every_rule_of_the_category()
    {
        var diagnostics = Analyze(Source("TG2005") + "\n" + Triggers["TG1001"], editorconfig: "root = true\n\n[*.cs]\ndotnet_analyzer_diagnostic.category-TailGuard.TrustBoundary.severity = none\n");

        Assert.DoesNotContain(diagnostics, d => d.Id == "TG2005");
        Assert.Contains(diagnostics, d => d.Id == "TG1001");
    }

    [Fact]
    public void A_silenced_error_still_stops_generation_and_the_generator_reports_nothing_itself()
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), "#pragma warning disable TG2005\n" + Source("TG2005"));

        Assert.DoesNotContain(diagnostics, d => d.Id == "TG2005");
        Assert.Empty(run.GeneratedTrees);
    }

    [Fact]
    public void A_silenced_warning_leaves_generation_alone()
    {
        var (_, diagnostics, run) = GeneratorHarness.Run(new TrustDomainGenerator(), "#pragma warning disable TG2009\n" + Source("TG2009"));

        Assert.Empty(diagnostics);
        Assert.Single(run.GeneratedTrees);
    }

    private static string Source(string id) => Usings + Triggers[id];

    private static DiagnosticDescriptor Descriptor(string id) => R2P2Diagnostics.All.Concat(TrustDomainDiagnostics.All).Single(d => d.Id == id);

    private static ImmutableArray<Diagnostic> Analyze(string source, bool reportSuppressed = false, string? editorconfig = null)
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, path: "/src/Contract.cs");
        CSharpCompilation compilation = GeneratorHarness.Compile(tree);
        compilation = compilation.WithOptions(compilation.Options.WithGeneralDiagnosticOption(ReportDiagnostic.Default)); // as a plain build: warnings stay warnings
        var configs = new EditorConfigOptions(editorconfig ?? "root = true\n");
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(configs));

        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, configs.AnalyzerOptions),
            onAnalyzerException: null,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: reportSuppressed);
        return compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new R2P2ContractAnalyzer(), new TrustBoundaryContractAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync()
            .GetAwaiter()
            .GetResult();
    }

    // How the compiler applies .editorconfig: rule severities per syntax tree (dotnet_diagnostic.ID.severity), and the
    // rest (category and bulk severities among them) as analyzer options, both from the section matching the tree's path.
    private sealed class EditorConfigOptions : SyntaxTreeOptionsProvider
    {
        private readonly AnalyzerConfigSet _configs;

        public EditorConfigOptions(string editorconfig)
        {
            _configs = AnalyzerConfigSet.Create(ImmutableArray.Create(AnalyzerConfig.Parse(editorconfig, "/src/.editorconfig")));
            AnalyzerOptions = new OptionsProvider(_configs);
        }

        public AnalyzerConfigOptionsProvider AnalyzerOptions { get; }

        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => _configs.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return false;
        }

        private sealed class OptionsProvider : AnalyzerConfigOptionsProvider
        {
            private readonly AnalyzerConfigSet _configs;

            public OptionsProvider(AnalyzerConfigSet configs) => _configs = configs;

            public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(ImmutableDictionary<string, string>.Empty);

            public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(_configs.GetOptionsForSourcePath(tree.FilePath).AnalyzerOptions);

            public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(_configs.GetOptionsForSourcePath(textFile.Path).AnalyzerOptions);
        }

        private sealed class Options : AnalyzerConfigOptions
        {
            private readonly ImmutableDictionary<string, string> _values;

            public Options(ImmutableDictionary<string, string> values) => _values = values;

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => _values.TryGetValue(key, out value);
        }
    }
}
