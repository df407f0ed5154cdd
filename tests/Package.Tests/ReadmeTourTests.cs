using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// The README's tour is complete as written: every fenced block marked <c>&lt;!-- tour: project/File --&gt;</c> is
/// copied into a fresh folder per project, with a nuget.config like the README's set-up (nuget.org and the local feed,
/// in the folder, nothing user-wide), built against the packed packages with -warnaserror, and run.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class ReadmeTourTests(PackedPackages packages)
{
    // What each project prints, as the README says after it.
    private static readonly Dictionary<string, string[]> s_expectedOutput = new()
    {
        ["orders"] = ["40 + 2 = 42; reversed: desserts"],
        ["keystore"] = ["attestation verifies: True", "signed (32 bytes); checks: True"],
        ["hosted"] = ["answer: 42"],
    };

    public static TheoryData<string> Projects => [.. ReadmeTour.Read().Select(file => file.Project).Distinct()];

    [Fact]
    public void The_tour_marks_a_project_file_and_a_program_for_each_step_and_nothing_else()
    {
        var files = ReadmeTour.Read();
        Assert.Equal(s_expectedOutput.Keys.Order(), files.Select(file => file.Project).Distinct().Order());
        foreach (var project in files.GroupBy(file => file.Project))
        {
            Assert.Single(project, file => file.Name.EndsWith(".csproj", StringComparison.Ordinal));
            Assert.Contains(project, file => file.Name == "Program.cs");
        }

        // A marker must sit right above its block; a marker the pattern does not pair with a block is a broken tour.
        Assert.Equal(Regex.Count(ReadmeTour.Text, "<!-- tour: "), files.Count);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public async Task Each_tour_project_builds_with_warnings_as_errors_against_the_packed_packages_and_runs(string project)
    {
        // The README's nuget.config (nuget.org and the local feed, in the user's folder), plus a private package
        // folder so no stale TailGuard from the user-wide cache is used.
        using var root = new TemporaryDirectory("tailguard-readme-tour");
        root.WriteFile("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{root.Combine("packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                <add key="tailguard-local" value="{packages.FeedPath}" />
              </packageSources>
            </configuration>
            """);
        foreach (var file in ReadmeTour.Read().Where(file => file.Project == project))
        {
            root.WriteFile(Path.Combine(project, file.Name), file.Contents);
        }

        var folder = root.Combine(project);
        var build = await DotNetCli.RunAsync(folder, "build", "-c", "Debug", "-warnaserror");
        Assert.True(build.Succeeded, build.ToString());

        var run = await DotNetCli.RunAsync(folder, "run", "--no-build", "-c", "Debug");
        Assert.True(run.Succeeded, run.ToString());
        foreach (var line in s_expectedOutput[project])
        {
            Assert.Contains(line, run.StandardOutput, StringComparison.Ordinal);
        }
    }
}

/// <summary>The files the README's tour marks as complete.</summary>
internal static class ReadmeTour
{
    private static readonly Regex s_block = new(
        @"<!-- tour: (?<project>[a-z]+)/(?<name>[A-Za-z.]+) -->\r?\n```(?:csharp|xml)\r?\n(?<contents>.*?)\r?\n```",
        RegexOptions.Singleline | RegexOptions.CultureInvariant);

    public static string Text => File.ReadAllText(RepositoryRoot.Combine("README.md"));

    public static IReadOnlyList<(string Project, string Name, string Contents)> Read()
        => [.. s_block.Matches(Text).Select(match => (match.Groups["project"].Value, match.Groups["name"].Value, match.Groups["contents"].Value + "\n"))];
}
