using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.R2P2;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>Every TG1xxx rule is documented, indexed and release-tracked.</summary>
public class DiagnosticDocumentationTests
{
    public static TheoryData<string> RuleIds => new(Descriptors().Select(d => d.Id));

    [Fact]
    public void There_are_sixteen_distinct_rules_in_the_TG1xxx_range()
    {
        var ids = Descriptors().Select(d => d.Id).ToList();

        Assert.Equal(16, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^TG1[0-9]{3}$", id));
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void A_rule_has_a_page_an_index_row_and_a_release_entry(string id)
    {
        string root = RepositoryRoot.Path;
        string page = Path.Combine(root, "docs", "diagnostics", id + ".md");

        Assert.True(File.Exists(page), page + " is missing");
        Assert.Contains("## Fix", File.ReadAllText(page), StringComparison.Ordinal);
        Assert.Contains("[" + id + "](" + id + ".md)", File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "README.md")), StringComparison.Ordinal);
        Assert.Contains(id + " | TailGuard.R2P2 | Error", File.ReadAllText(Path.Combine(root, "src", "Analyzers", "AnalyzerReleases.Unshipped.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_analyzer_supports_every_declared_rule()
        => Assert.Equal(Descriptors().Select(d => d.Id), R2P2Diagnostics.All.Select(d => d.Id));

    private static DiagnosticDescriptor[] Descriptors()
        => typeof(R2P2Diagnostics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToArray();
}
