namespace TailGuard.Generators.Common;

/// <summary>Where every TailGuard rule is documented: one page per rule under docs/diagnostics.</summary>
internal static class DiagnosticHelp
{
    // The repository-relative page; there is no published documentation site yet.
    public static string Link(string id) => "docs/diagnostics/" + id + ".md";
}
