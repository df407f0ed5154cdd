using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Package.Tests.Infrastructure;

/// <summary>
/// Packs the repository's packages (TailGuard, TailGuard.Hosting and TailGuard.Templates) once per test run into a temporary local feed, the only feed the consumer
/// projects of these tests restore TailGuard from.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime, IDisposable
{
    private readonly TemporaryDirectory _feed = new("tailguard-feed");
    private readonly SemaphoreSlim _templatesGate = new(1, 1);
    private TemplatesUnderCentralPackageManagement? _templates;

    /// <summary>The folder that holds the packed .nupkg files.</summary>
    public string FeedPath => _feed.Path;

    /// <summary>The TailGuard package version the repository builds.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The path of the packed TailGuard package.</summary>
    public string TailGuardPackagePath { get; private set; } = "";

    /// <summary>The path of TailGuard's symbol package (the portable PDB, with Source Link).</summary>
    public string TailGuardSymbolPackagePath { get; private set; } = "";

    /// <summary>The path of the packed TailGuard.Templates package (the dotnet new templates).</summary>
    public string TemplatesPackagePath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var result = await DotNetCli.RunAsync(
            RepositoryRoot.Path,
            "pack", "src/Runtime/TailGuard/TailGuard.csproj", "-c", "Release", "-o", FeedPath, "-warnaserror").ConfigureAwait(false);
        Assert.True(result.Succeeded, result.ToString());

        var package = Directory.GetFiles(FeedPath, "TailGuard.*.nupkg")
            .Single(p => Path.GetFileName(p).StartsWith("TailGuard.", StringComparison.Ordinal) &&
                         char.IsDigit(Path.GetFileName(p)["TailGuard.".Length]));
        TailGuardPackagePath = package;
        Version = Path.GetFileNameWithoutExtension(package)["TailGuard.".Length..];
        TailGuardSymbolPackagePath = Path.ChangeExtension(package, ".snupkg");

        var hosting = await DotNetCli.RunAsync(
            RepositoryRoot.Path,
            "pack", "src/Runtime/TailGuard.Hosting/TailGuard.Hosting.csproj", "-c", "Release", "-o", FeedPath, "-warnaserror").ConfigureAwait(false);
        Assert.True(hosting.Succeeded, hosting.ToString());

        var templates = await DotNetCli.RunAsync(
            RepositoryRoot.Path,
            "pack", "nuget/Templates/TailGuard.Templates.csproj", "-c", "Release", "-o", FeedPath, "-warnaserror").ConfigureAwait(false);
        Assert.True(templates.Succeeded, templates.ToString());
        TemplatesPackagePath = Directory.GetFiles(FeedPath, "TailGuard.Templates.*.nupkg").Single();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _templates?.Workspace.Dispose();
        _templatesGate.Dispose();
        _feed.Dispose();
    }

    /// <summary>The templates built under central package management, created on first use and deleted with this fixture.</summary>
    internal async Task<TemplatesUnderCentralPackageManagement> TemplatesUnderCentralPackageManagementAsync()
    {
        await _templatesGate.WaitAsync().ConfigureAwait(false);
        try
        {
            return _templates ??= await TemplatesUnderCentralPackageManagement.CreateAsync(this).ConfigureAwait(false);
        }
        finally
        {
            _templatesGate.Release();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackedPackagesCollection : ICollectionFixture<PackedPackages>
{
    public const string Name = "Packed packages";
}
