using System;
using System.IO;
using System.Threading.Tasks;

namespace TailGuard.Package.Tests.Infrastructure;

/// <summary>
/// A temporary folder with its own dotnet new template hive (the packed TailGuard.Templates installed into it, never
/// into the user's) and a nuget.config that takes TailGuard packages ONLY from the local feed (package source mapping)
/// and everything else (xunit, the test SDK) from nuget.org or this machine's package cache.
/// </summary>
internal sealed class TemplateWorkspace : IDisposable
{
    private readonly TemporaryDirectory _root = new("tailguard-templates");

    public TemplateWorkspace(PackedPackages packages)
    {
        // The machine's package cache as a source lets the test restore xunit offline when it is already cached.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ??
            System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string cacheSource = Directory.Exists(cache) ? $"""<add key="machine-cache" value="{cache}" />""" : "";
        string cacheMapping = Directory.Exists(cache) ? """<packageSource key="machine-cache"><package pattern="*" /></packageSource>""" : "";
        _root.WriteFile("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{_root.Combine("packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="tailguard-local" value="{packages.FeedPath}" />
                {cacheSource}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="tailguard-local">
                  <package pattern="TailGuard" />
                  <package pattern="TailGuard.*" />
                </packageSource>
                {cacheMapping}
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        Packages = packages;
    }

    public PackedPackages Packages { get; }

    public string Path => _root.Path;

    public string Hive => _root.Combine("hive");

    public string Combine(params string[] parts) => _root.Combine(parts);

    public Task<DotNetResult> InstallTemplatesAsync()
        => DotNetCli.RunAsync(Path, "new", "install", Packages.TemplatesPackagePath, "--debug:custom-hive", Hive);

    /// <summary>Runs <c>dotnet new</c> with this workspace's hive; the output lands in a folder named <paramref name="name"/>.</summary>
    public Task<DotNetResult> NewAsync(string template, string name, params string[] options)
        => DotNetCli.RunAsync(Path, ["new", template, "-n", name, "-o", name, "--debug:custom-hive", Hive, .. options]);

    public void Dispose() => _root.Dispose();
}
