namespace TailGuard.Generators.Common;

/// <summary>Where every TailGuard rule is documented: one page per rule under docs/diagnostics.</summary>
internal static class DiagnosticHelp
{
    // Absolute, so an IDE can open it from the diagnostic; the analyzers use the same base.
    private const string Base = "https://github.com/tailguard/tailguard/blob/main/docs/diagnostics/";

    public static string Link(string id) => Base + id + ".md";
}
