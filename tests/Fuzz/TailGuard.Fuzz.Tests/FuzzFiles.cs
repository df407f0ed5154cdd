using System.IO;
using System.Linq;

namespace TailGuard.Fuzz.Tests;

/// <summary>The fuzzing folders kept in the repository: tests/Fuzz/corpus/TARGET and tests/Fuzz/crashes/TARGET.</summary>
internal static class FuzzFiles
{
    public static string Corpus(string target) => RepositoryRoot.Combine("tests", "Fuzz", "corpus", target);

    public static string CrashRoot => RepositoryRoot.Combine("tests", "Fuzz", "crashes");

    /// <summary>The files of a folder in name order (none when it does not exist).</summary>
    public static string[] Files(string directory) =>
        Directory.Exists(directory) ? Directory.GetFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".md", System.StringComparison.Ordinal)).Order(System.StringComparer.Ordinal).ToArray() : [];
}
