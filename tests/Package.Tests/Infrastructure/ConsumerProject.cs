using System.Threading.Tasks;

namespace TailGuard.Package.Tests.Infrastructure;

/// <summary>
/// A fresh console project in a temporary folder that references TailGuard from the local feed only, with its own
/// package folder so a stale copy from an earlier run can never be picked up.
/// </summary>
internal sealed class ConsumerProject : System.IDisposable
{
    private readonly TemporaryDirectory _root = new("tailguard-consumer");

    public ConsumerProject(PackedPackages packages, string programSource)
    {
        _root.WriteFile("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{_root.Combine("packages")}" />
              </config>
              <packageSources>
                <clear />
                <add key="tailguard-local" value="{packages.FeedPath}" />
              </packageSources>
            </configuration>
            """);
        _root.WriteFile("Consumer.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TailGuard" Version="{packages.Version}" />
              </ItemGroup>
            </Project>
            """);
        _root.WriteFile("Program.cs", programSource);
    }

    public string Path => _root.Path;

    /// <summary>
    /// Restores and builds the consumer. With ReportAnalyzer at detailed verbosity the compiler lists every analyzer and
    /// generator assembly it instantiated (an assembly it could not load is absent from that report).
    /// </summary>
    public Task<DotNetResult> BuildAsync() => DotNetCli.RunAsync(Path, "build", "-c", "Debug", "-v", "d", "-p:ReportAnalyzer=true");

    public Task<DotNetResult> RunAsync() => DotNetCli.RunAsync(Path, "run", "--no-build", "-c", "Debug");

    public void Dispose() => _root.Dispose();
}
