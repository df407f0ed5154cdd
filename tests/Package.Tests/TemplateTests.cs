using System.IO;
using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// Installs the packed templates into a temporary hive, instantiates each, and builds (warnings as errors) and tests what
/// they generate against the packed TailGuard package, as a user starting a project would.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class TemplateTests(PackedPackages packages)
{
    [Theory]
    [InlineData("tailguard-service", "Orders", 2)]
    [InlineData("tailguard-domain", "KeyStore", 3)]
    public async Task A_new_project_from_the_template_builds_warning_free_and_its_tests_pass(string template, string name, int tests)
    {
        using var workspace = new TemplateWorkspace(packages);
        var install = await workspace.InstallTemplatesAsync();
        Assert.True(install.Succeeded, install.ToString());
        Assert.Contains(template, install.Output, System.StringComparison.Ordinal);

        var created = await workspace.NewAsync(template, name, "--framework", "net10.0");
        Assert.True(created.Succeeded, created.ToString());

        // The name replaced the template's own everywhere, and the default TailGuard version is the packed one.
        string project = File.ReadAllText(Path.Combine(workspace.Path, name, name, name + ".csproj"));
        Assert.Contains($"""<PackageReference Include="TailGuard" Version="{packages.Version}" />""", project, System.StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(workspace.Path, name, name + ".Tests", name + ".Tests.csproj")));
        foreach (string file in Directory.GetFiles(Path.Combine(workspace.Path, name), "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain("TailGuardService", File.ReadAllText(file), System.StringComparison.Ordinal);
            Assert.DoesNotContain("TailGuardDomain", File.ReadAllText(file), System.StringComparison.Ordinal);
        }

        var test = await DotNetCli.RunAsync(Path.Combine(workspace.Path, name), "test", name + ".slnx", "-warnaserror");
        Assert.True(test.Succeeded, test.ToString());
        Assert.Contains($"Passed:     {tests}", test.Output, System.StringComparison.Ordinal);
        Assert.Contains("Failed:     0", test.Output, System.StringComparison.Ordinal);

        var run = await DotNetCli.RunAsync(Path.Combine(workspace.Path, name), "run", "--project", name, "--no-build");
        Assert.True(run.Succeeded, run.ToString());
    }

    [Fact]
    public async Task The_TailGuardVersion_option_sets_the_referenced_package_version()
    {
        using var workspace = new TemplateWorkspace(packages);
        var install = await workspace.InstallTemplatesAsync();
        Assert.True(install.Succeeded, install.ToString());

        var created = await workspace.NewAsync("tailguard-domain", "Pinned", "--TailGuardVersion", "9.8.7");

        Assert.True(created.Succeeded, created.ToString());
        string project = File.ReadAllText(Path.Combine(workspace.Path, "Pinned", "Pinned", "Pinned.csproj"));
        Assert.Contains("""<PackageReference Include="TailGuard" Version="9.8.7" />""", project, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_framework_option_rejects_a_framework_the_templates_do_not_offer()
    {
        using var workspace = new TemplateWorkspace(packages);
        var install = await workspace.InstallTemplatesAsync();
        Assert.True(install.Succeeded, install.ToString());

        var created = await workspace.NewAsync("tailguard-service", "Old", "--framework", "net6.0");

        Assert.False(created.Succeeded, created.ToString());
        // Refused for the framework, not for any other reason (a missing template exits 103).
        Assert.Equal(127, created.ExitCode);
        Assert.Contains("'net6.0' is not a valid value for --framework", created.Output, System.StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(workspace.Path, "Old", "Old")));
    }
}
