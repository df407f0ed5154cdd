using System;
using System.IO;
using System.Threading.Tasks;

namespace TailGuard.Package.Tests.Infrastructure;

/// <summary>
/// Built once per test run, for the tests that need a built template program: a workspace whose root holds a
/// Directory.Packages.props that turns central package management on (as a user's repository might), with the service
/// template created as <c>my-orders</c> and the domain template as <c>2fa.keys</c> (names that are not C# type names),
/// each built with warnings as errors.
/// </summary>
internal sealed class TemplatesUnderCentralPackageManagement
{
    public const string ServiceName = "my-orders";
    public const string DomainName = "2fa.keys";

    private TemplatesUnderCentralPackageManagement(TemplateWorkspace workspace) => Workspace = workspace;

    public TemplateWorkspace Workspace { get; }

    public DotNetResult ServiceCreated { get; private set; } = null!;

    public DotNetResult DomainCreated { get; private set; } = null!;

    public DotNetResult ServiceBuilt { get; private set; } = null!;

    public DotNetResult DomainBuilt { get; private set; } = null!;

    public string ServiceProgram => Workspace.Combine(ServiceName, ServiceName, "bin", "Debug", "net10.0", ServiceName + ".dll");

    public string DomainProgram => Workspace.Combine(DomainName, DomainName, "bin", "Debug", "net10.0", DomainName + ".dll");

    /// <summary>The instance built once per test run: <see cref="PackedPackages"/> holds it and deletes it at the end.</summary>
    public static Task<TemplatesUnderCentralPackageManagement> GetAsync(PackedPackages packages) => packages.TemplatesUnderCentralPackageManagementAsync();

    /// <summary>Creates the workspace and builds both templates in it (the caller owns and disposes the workspace).</summary>
    public static async Task<TemplatesUnderCentralPackageManagement> CreateAsync(PackedPackages packages)
    {
        var built = new TemplatesUnderCentralPackageManagement(new TemplateWorkspace(packages));
        try
        {
            await built.BuildAsync().ConfigureAwait(false);
            return built;
        }
        catch
        {
            built.Workspace.Dispose();
            throw;
        }
    }

    private async Task BuildAsync()
    {
        // Central package management on for everything below, with a version for a package the templates also use.
        File.WriteAllText(Workspace.Combine("Directory.Packages.props"), """
            <Project>
              <PropertyGroup>
                <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="xunit" Version="2.9.3" />
              </ItemGroup>
            </Project>
            """);
        var install = await Workspace.InstallTemplatesAsync().ConfigureAwait(false);
        Assert.True(install.Succeeded, install.ToString());
        ServiceCreated = await Workspace.NewAsync("tailguard-service", ServiceName).ConfigureAwait(false);
        DomainCreated = await Workspace.NewAsync("tailguard-domain", DomainName).ConfigureAwait(false);
        ServiceBuilt = await DotNetCli.RunAsync(Workspace.Combine(ServiceName), "build", ServiceName + ".slnx", "-warnaserror").ConfigureAwait(false);
        DomainBuilt = await DotNetCli.RunAsync(Workspace.Combine(DomainName), "build", DomainName + ".slnx", "-warnaserror").ConfigureAwait(false);
    }
}
