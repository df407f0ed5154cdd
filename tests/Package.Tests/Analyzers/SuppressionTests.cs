using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests.Analyzers;

/// <summary>
/// Every rule in <see cref="RuleRows"/> can be configured and suppressed the standard ways in a real build of a consumer
/// of the packed package: <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> (a module-level one scoped to a
/// namespace, as the IDE's "suppress in file" writes it), and <c>.editorconfig</c> severity none, warning and error.
/// One consumer and one build hold every rule in six files (default, pragma, suppress, none, warning, error).
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class SuppressionTests(PackedPackages packages)
{
    private static readonly string[] Variants = ["default", "pragma", "suppress", "none", "warning", "error"];
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static List<SarifResult>? s_results;

    public static TheoryData<string> Rules()
    {
        var data = new TheoryData<string>();
        foreach (var row in RuleRows.All)
        {
            data.Add(row.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task Pragma_SuppressMessage_and_editorconfig_severities_work_for_the_rule_in_a_real_build(string id)
    {
        var row = RuleRows.All.Single(r => r.Id == id);
        var results = await BuildOnceAsync(packages);
        List<SarifResult> In(string variant) => results.Where(r => r.RuleId == id && r.File == FileName(id, variant)).ToList();

        var reported = In("default");
        Assert.True(reported.Count > 0, $"{id} is not reported by its snippet: {row.Snippet}");
        Assert.All(reported, r => Assert.Equal((row.DefaultLevel, false), (r.Level, r.SuppressedInSource)));
        Assert.All(In("pragma"), r => Assert.True(r.SuppressedInSource, $"#pragma did not suppress {id}"));
        Assert.All(In("suppress"), r => Assert.True(r.SuppressedInSource, $"[SuppressMessage] did not suppress {id}"));
        Assert.Empty(In("none"));
        Assert.NotEmpty(In("warning"));
        Assert.All(In("warning"), r => Assert.Equal("warning", r.Level));
        Assert.NotEmpty(In("error"));
        Assert.All(In("error"), r => Assert.Equal("error", r.Level));
    }

    private static string FileName(string id, string variant) => id + "_" + variant + ".cs";

    private static async Task<List<SarifResult>> BuildOnceAsync(PackedPackages packages)
    {
        await s_gate.WaitAsync();
        try
        {
            if (s_results is not null)
            {
                return s_results;
            }

            using var consumer = new AnalyzerConsumer(packages);
            var editorconfig = new StringBuilder("root = true\n");
            foreach (var row in RuleRows.All)
            {
                foreach (var variant in Variants)
                {
                    consumer.WriteFile(FileName(row.Id, variant), Source(row, variant));
                }

                foreach (var severity in new[] { "none", "warning", "error" })
                {
                    editorconfig.Append('[').Append(FileName(row.Id, severity)).Append("]\n")
                        .Append("dotnet_diagnostic.").Append(row.Id).Append(".severity = ").Append(severity).Append('\n');
                }
            }

            consumer.WriteFile(".editorconfig", editorconfig.ToString());
            var build = await consumer.BuildAsync();
            Assert.True(System.IO.File.Exists(consumer.SarifPath), "the compiler wrote no SARIF log: " + build);
            return s_results = SarifLog.Read(consumer.SarifPath);
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static string Source(RuleRows.Row row, string variant)
    {
        var ns = "Rules." + row.Id + "_" + variant;
        var body = $"namespace {ns}\n{{\n{row.Snippet}\n}}\n";
        return "using System;\nusing TailGuard;\n" + variant switch
        {
            "pragma" => $"#pragma warning disable {row.Id}\n{body}#pragma warning restore {row.Id}\n",
            "suppress" => $"[module: System.Diagnostics.CodeAnalysis.SuppressMessage(\"{row.Category}\", \"{row.Id}\", Scope = \"namespaceanddescendants\", Target = \"~N:{ns}\")]\n{body}",
            _ => body,
        };
    }
}
