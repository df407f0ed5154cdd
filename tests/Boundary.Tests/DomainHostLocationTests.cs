using System;
using System.IO;

namespace TailGuard.Boundary.Tests;

/// <summary>
/// Where the process backend finds tailguard-domain.dll (docs/trust-boundary.md, "Where tailguard-domain is found"):
/// the configured path, else the application's folder, beside TailGuard.dll, and the TailGuard package's tools folder,
/// in that order. Each case lays the files out in a temporary folder.
/// </summary>
public sealed class DomainHostLocationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tg-domainhost-").FullName;

    [Fact]
    public void A_configured_path_wins_over_a_copy_in_the_application_folder()
    {
        string application = Folder("app");
        Touch(application);
        string configured = Touch(Folder("elsewhere"));

        Assert.Equal(configured, DomainHostLocation.Find(configured, application, Folder("runtime")));
    }

    [Fact]
    public void A_configured_path_that_names_no_file_is_an_error_and_never_falls_back()
    {
        string application = Folder("app");
        Touch(application);
        string missing = Path.Combine(_root, "nowhere", DomainHostLocation.FileName);

        var error = Assert.Throws<FileNotFoundException>(() => DomainHostLocation.Find(missing, application, null));
        Assert.Contains("DomainHostPath", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_application_folder_comes_before_the_runtime_folder()
    {
        string application = Folder("app");
        string runtime = Folder("runtime");
        string expected = Touch(application);
        Touch(runtime);

        Assert.Equal(expected, DomainHostLocation.Find(null, application, runtime));
    }

    [Fact]
    public void Beside_TailGuard_dll_is_used_when_the_application_folder_has_none()
    {
        string expected = Touch(Folder("runtime"));

        Assert.Equal(expected, DomainHostLocation.Find(null, Folder("app"), Folder("runtime")));
    }

    [Fact]
    public void TailGuard_dll_loaded_from_the_package_lib_folder_finds_the_packages_tools_folder()
    {
        // The package's layout: lib/net10.0/TailGuard.dll and tools/net10.0/tailguard-domain.dll.
        string package = Folder("packages/tailguard/1.0.0");
        string lib = Folder("packages/tailguard/1.0.0/lib/net10.0");
        string expected = Touch(Folder("packages/tailguard/1.0.0/tools/net10.0"));

        Assert.Equal(expected, DomainHostLocation.Find(null, Folder("app"), lib));
        Assert.StartsWith(package, expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_found_names_every_place_searched_in_order()
    {
        string application = Folder("app");
        string lib = Folder("lib/net10.0");

        var error = Assert.Throws<FileNotFoundException>(() => DomainHostLocation.Find(null, application, lib));
        int first = error.Message.IndexOf(Path.Combine(application, DomainHostLocation.FileName), StringComparison.Ordinal);
        int second = error.Message.IndexOf(Path.Combine(lib, DomainHostLocation.FileName), StringComparison.Ordinal);
        int third = error.Message.IndexOf(Path.Combine(_root, "tools", "net10.0", DomainHostLocation.FileName), StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first && third > second, error.Message);
    }

    [Fact]
    public void The_backend_runs_the_domain_host_beside_the_tests_by_default()
    {
        // This test project references src/Runtime/TailGuard.DomainHost, as the package's build targets would copy it.
        string found = DomainHostLocation.Find(null, AppContext.BaseDirectory, DomainHostLocation.RuntimeFolder());
        Assert.Equal(Path.Combine(Path.GetFullPath(AppContext.BaseDirectory), DomainHostLocation.FileName), found);
        Assert.True(File.Exists(Path.ChangeExtension(found, ".runtimeconfig.json")), "the runtimeconfig travels with it");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Folder(string relative) => Directory.CreateDirectory(Path.Combine(_root, relative)).FullName;

    private static string Touch(string folder)
    {
        string path = Path.Combine(folder, DomainHostLocation.FileName);
        File.WriteAllBytes(path, []);
        return path;
    }
}
