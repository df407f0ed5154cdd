using System;
using System.IO;

namespace TailGuard.Testing;

/// <summary>
/// Finds the repository (the folder holding Sdk.sln) from the test's output folder. Never from [CallerFilePath]: CI
/// builds map source paths to "/_/" (deterministic builds), so compile-time paths do not exist at run time.
/// </summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(Find);

    public static string Path => s_path.Value;

    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Sdk.sln above {AppContext.BaseDirectory}: run the tests from the repository.");
    }
}
