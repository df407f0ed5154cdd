using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

[Collection(PackedPackagesCollection.Name)]
public sealed class PackageLayoutTests(PackedPackages packages)
{
    [Fact]
    public void The_package_holds_exactly_the_runtime_the_roslyn_components_the_domain_host_its_build_targets_and_the_readme()
    {
        using var archive = ZipFile.OpenRead(packages.TailGuardPackagePath);
        var entries = archive.Entries
            .Select(e => e.FullName)
            .Where(n => !n.StartsWith("package/services/metadata/", StringComparison.Ordinal) &&
                        !n.StartsWith("_rels/", StringComparison.Ordinal) &&
                        n != "[Content_Types].xml")
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(
            new[]
            {
                "README.md",
                "TailGuard.nuspec",
                "analyzers/dotnet/cs/TailGuard.Analyzers.CodeFixes.dll",
                "analyzers/dotnet/cs/TailGuard.Analyzers.dll",
                "analyzers/dotnet/cs/TailGuard.Generators.dll",
                "build/TailGuard.targets",
                "buildTransitive/TailGuard.targets",
                "lib/net10.0/TailGuard.dll",
                "lib/net10.0/TailGuard.xml",
                "tools/net10.0/tailguard-domain.deps.json",
                "tools/net10.0/tailguard-domain.dll",
                "tools/net10.0/tailguard-domain.runtimeconfig.json",
            },
            entries);
    }

    [Fact]
    public void The_package_declares_a_licence_a_readme_and_no_dependencies()
    {
        using var archive = ZipFile.OpenRead(packages.TailGuardPackagePath);
        using var stream = archive.GetEntry("TailGuard.nuspec")!.Open();
        var nuspec = XDocument.Load(stream);
        var ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;

        Assert.Equal("TailGuard", metadata.Element(ns + "id")!.Value);
        Assert.Equal(packages.Version, metadata.Element(ns + "version")!.Value);
        var license = metadata.Element(ns + "license")!;
        Assert.Equal("expression", license.Attribute("type")!.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);

        // A consumer must not inherit Roslyn (or anything else) from the generators and analyzers.
        var dependencies = metadata.Element(ns + "dependencies")?.Descendants(ns + "dependency").ToArray() ?? [];
        Assert.Empty(dependencies);
    }

    [Fact]
    public void The_roslyn_components_in_the_package_target_netstandard2_0()
    {
        using var archive = ZipFile.OpenRead(packages.TailGuardPackagePath);
        foreach (var entry in archive.Entries.Where(e => e.FullName.StartsWith("analyzers/", StringComparison.Ordinal)))
        {
            using var memory = new MemoryStream();
            using (var stream = entry.Open())
            {
                stream.CopyTo(memory);
            }

            memory.Position = 0;
            using var pe = new System.Reflection.PortableExecutable.PEReader(memory);
            var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
            var netstandard = reader.AssemblyReferences
                .Select(h => reader.GetString(reader.GetAssemblyReference(h).Name))
                .ToArray();
            Assert.Contains("netstandard", netstandard);
            Assert.DoesNotContain("System.Runtime", netstandard);
        }
    }
}
