using System.Threading.Tasks;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests.Analyzers;

/// <summary>
/// A class library that references the packed TailGuard package from the local feed only (its own package folder), with
/// warnings left as warnings, and the compiler's SARIF log written to <see cref="SarifPath"/>: the way to see every
/// diagnostic with its level and whether it was suppressed in source.
/// </summary>
internal sealed class AnalyzerConsumer : System.IDisposable
{
    private readonly TemporaryDirectory _root = new("tailguard-analyzers");

    public AnalyzerConsumer(PackedPackages packages)
    {
        _root.WriteFile("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{_root.Combine("packages")}" /></config>
              <packageSources><clear /><add key="tailguard-local" value="{packages.FeedPath}" /></packageSources>
            </configuration>
            """);
        _root.WriteFile("Consumer.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>disable</ImplicitUsings>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                <NoWarn>$(NoWarn);CS0169;CS0414;CS0649;CS1998;CS8618</NoWarn>
                <ErrorLog>{SarifPath},version=2.1</ErrorLog>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TailGuard" Version="{packages.Version}" />
              </ItemGroup>
            </Project>
            """);
    }

    public string Path => _root.Path;

    public string SarifPath => _root.Combine("diagnostics.sarif");

    public string WriteFile(string name, string contents) => _root.WriteFile(name, contents);

    public string ReadFile(string name) => System.IO.File.ReadAllText(_root.Combine(name));

    public Task<DotNetResult> BuildAsync() => DotNetCli.RunAsync(Path, "build", "-c", "Debug", "--no-incremental");

    public Task<DotNetResult> RestoreAsync() => DotNetCli.RunAsync(Path, "restore");

    public void Dispose() => _root.Dispose();
}
