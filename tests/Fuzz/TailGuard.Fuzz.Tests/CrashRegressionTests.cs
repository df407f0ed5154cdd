using System;
using System.IO;
using System.Linq;
using TailGuard.Fuzz.Harness;

namespace TailGuard.Fuzz.Tests;

/// <summary>
/// Every input a campaign found (tests/Fuzz/crashes/TARGET/*), replayed through its target: each was a crash, a hang or
/// an invariant violation before its fix (docs/reliability.md lists them) and must pass now.
/// </summary>
public sealed class CrashRegressionTests
{
    public static TheoryData<string, string> SavedInputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string directory in CrashFolders())
        {
            foreach (string file in FuzzFiles.Files(directory))
            {
                data.Add(Path.GetFileName(directory), Path.GetFileName(file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SavedInputs))]
    public void A_saved_crash_input_passes_its_target(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(FuzzFiles.CrashRoot, target, file));

        FuzzTargets.Create(target).Run(input); // throws InvariantViolationException (or the original crash) on regression
    }

    [Fact]
    public void Every_crash_folder_names_a_target()
    {
        Assert.All(CrashFolders(), f => Assert.Contains(Path.GetFileName(f), FuzzTargets.Names));
    }

    private static string[] CrashFolders() =>
        Directory.Exists(FuzzFiles.CrashRoot) ? Directory.GetDirectories(FuzzFiles.CrashRoot).Order(StringComparer.Ordinal).ToArray() : [];
}
