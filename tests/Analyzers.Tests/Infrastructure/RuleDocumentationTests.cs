using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TailGuard.Analyzers.Allocations;
using TailGuard.Analyzers.Determinism;
using TailGuard.Analyzers.SecretFlow;

namespace TailGuard.Analyzers.Tests.Infrastructure;

/// <summary>Every rule links to its page, the page exists, the index lists it, and release tracking has its row.</summary>
public sealed class RuleDocumentationTests
{
    public static TheoryData<string> Rules()
    {
        var data = new TheoryData<string>();
        foreach (var rule in AllRules())
        {
            data.Add(rule.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_has_a_help_link_a_page_an_index_row_and_a_release_tracking_row(string id)
    {
        var rule = AllRules().Single(r => r.Id == id);
        Assert.Equal("https://github.com/tailguard/tailguard/blob/main/docs/diagnostics/" + id + ".md", rule.HelpLinkUri);

        var root = RepositoryRoot.Path;
        var page = File.ReadAllText(Path.Combine(root, "docs", "diagnostics", id + ".md"));
        Assert.StartsWith("# " + id + ": " + rule.Title, page, StringComparison.Ordinal);
        Assert.Contains("dotnet_diagnostic." + id + ".severity", page, StringComparison.Ordinal);

        var index = File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "README.md"));
        Assert.Contains("| [" + id + "](" + id + ".md) | " + rule.Title + " |", index, StringComparison.Ordinal);

        var unshipped = File.ReadAllText(Path.Combine(root, "src", "Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains(id + " | " + rule.Category + " | " + rule.DefaultSeverity + " | " + rule.Title, unshipped, StringComparison.Ordinal);
    }

    private static IEnumerable<DiagnosticDescriptor> AllRules() =>
        new DiagnosticAnalyzer[] { new HotPathAllocationAnalyzer(), new SecretFlowAnalyzer(), new DeterminismAnalyzer(), new ReplicatedContractAnalyzer() }.SelectMany(a => a.SupportedDiagnostics);
}
