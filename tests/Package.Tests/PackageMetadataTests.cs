using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using TailGuard.Package.Tests.Infrastructure;

namespace TailGuard.Package.Tests;

/// <summary>
/// What eng/Packaging.targets promises every package: repository and project URLs, a readme, a symbol package whose
/// PDB maps the sources to the public repository (Source Link), the runtime marked trimmable and AOT-compatible, and the
/// templates stamped with the version they were packed with.
/// </summary>
[Collection(PackedPackagesCollection.Name)]
public sealed class PackageMetadataTests(PackedPackages packages)
{
    private const string Repository = "https://github.com/tailguard/tailguard";

    public static TheoryData<string> Packages => ["TailGuard", "TailGuard.Templates"];

    [Theory]
    [MemberData(nameof(Packages))]
    public void Every_package_names_the_repository_and_project_url_and_carries_its_readme(string id)
    {
        string path = id == "TailGuard" ? packages.TailGuardPackagePath : packages.TemplatesPackagePath;
        using var archive = ZipFile.OpenRead(path);
        XElement metadata = Metadata(archive, id + ".nuspec");
        XNamespace ns = metadata.Name.Namespace;

        Assert.Equal(Repository, metadata.Element(ns + "projectUrl")?.Value);
        XElement repository = metadata.Element(ns + "repository") ?? throw new InvalidOperationException("no <repository> in " + id);
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.Equal(Repository, repository.Attribute("url")?.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");

        string readme = metadata.Element(ns + "readme")?.Value ?? throw new InvalidOperationException("no <readme> in " + id);
        ZipArchiveEntry entry = archive.GetEntry(readme) ?? throw new InvalidOperationException(readme + " is not in " + id);
        using var reader = new StreamReader(entry.Open());
        Assert.Contains(id == "TailGuard" ? "# TailGuard" : "# TailGuard templates", reader.ReadToEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_symbol_package_holds_the_pdb_whose_source_link_points_at_the_public_repository_at_the_packed_commit()
    {
        Assert.True(File.Exists(packages.TailGuardSymbolPackagePath), "no symbol package beside " + packages.TailGuardPackagePath);
        using var symbols = ZipFile.OpenRead(packages.TailGuardSymbolPackagePath);
        ZipArchiveEntry pdb = symbols.GetEntry("lib/net10.0/TailGuard.pdb") ?? throw new InvalidOperationException("no lib/net10.0/TailGuard.pdb in the symbol package");
        using var package = ZipFile.OpenRead(packages.TailGuardPackagePath);
        string commit = Metadata(package, "TailGuard.nuspec").Descendants().Single(e => e.Name.LocalName == "repository").Attribute("commit")!.Value;

        using var stream = new MemoryStream();
        using (Stream entry = pdb.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        MetadataReader reader = provider.GetMetadataReader();
        var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
        string? json = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(info => reader.GetGuid(info.Kind) == sourceLinkKind)
            .Select(info => Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value)))
            .SingleOrDefault();
        Assert.NotNull(json);

        using JsonDocument document = JsonDocument.Parse(json);
        string target = Assert.Single(document.RootElement.GetProperty("documents").EnumerateObject()).Value.GetString()!;
        Assert.Equal($"https://raw.githubusercontent.com/tailguard/tailguard/{commit}/*", target);
    }

    [Fact]
    public void The_runtime_in_the_package_is_marked_trimmable()
    {
        // IsAotCompatible implies IsTrimmable, which stamps the assembly; the build's trim and AOT analyzers (warnings
        // as errors) keep it honest, and eng/check-aot.sh publishes a native AOT consumer of the package.
        using var archive = ZipFile.OpenRead(packages.TailGuardPackagePath);
        using var stream = new MemoryStream();
        using (Stream entry = archive.GetEntry("lib/net10.0/TailGuard.dll")!.Open())
        {
            entry.CopyTo(stream);
        }

        stream.Position = 0;
        using var pe = new PEReader(stream);
        MetadataReader reader = pe.GetMetadataReader();
        bool trimmable = reader.GetAssemblyDefinition().GetCustomAttributes()
            .Select(reader.GetCustomAttribute)
            .Where(attribute => AttributeName(reader, attribute) == "System.Reflection.AssemblyMetadataAttribute")
            .Select(attribute => attribute.DecodeValue(new StringOnlyDecoder()))
            .Any(value => value.FixedArguments is [{ Value: "IsTrimmable" }, { Value: "True" }]);
        Assert.True(trimmable, "TailGuard.dll lacks [assembly: AssemblyMetadata(\"IsTrimmable\", \"True\")]");
    }

    [Fact]
    public void Every_template_defaults_to_the_version_it_was_packed_with()
    {
        using var archive = ZipFile.OpenRead(packages.TemplatesPackagePath);
        var configs = archive.Entries.Where(e => e.FullName.EndsWith(".template.config/template.json", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, configs.Length);
        foreach (ZipArchiveEntry config in configs)
        {
            using var reader = new StreamReader(config.Open());
            using JsonDocument document = JsonDocument.Parse(reader.ReadToEnd(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            string stamped = document.RootElement.GetProperty("symbols").GetProperty("TailGuardVersion").GetProperty("defaultValue").GetString()!;
            Assert.Equal(packages.Version, stamped);
        }

        // The sources hold a placeholder, not a literal version someone must remember to bump.
        foreach (string source in Directory.GetFiles(RepositoryRoot.Combine("nuget", "Templates", "content"), "template.json", SearchOption.AllDirectories))
        {
            Assert.Contains("\"defaultValue\": \"0.0.0-unstamped\"", File.ReadAllText(source), StringComparison.Ordinal);
        }
    }

    private static XElement Metadata(ZipArchive archive, string nuspec)
    {
        using Stream stream = archive.GetEntry(nuspec)!.Open();
        XDocument document = XDocument.Load(stream);
        return document.Root!.Element(document.Root.GetDefaultNamespace() + "metadata")!;
    }

    private static string AttributeName(MetadataReader reader, CustomAttribute attribute)
    {
        if (attribute.Constructor.Kind != HandleKind.MemberReference)
        {
            return "";
        }

        EntityHandle parent = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
        if (parent.Kind != HandleKind.TypeReference)
        {
            return "";
        }

        TypeReference type = reader.GetTypeReference((TypeReferenceHandle)parent);
        return reader.GetString(type.Namespace) + "." + reader.GetString(type.Name);
    }

    /// <summary>Decodes the string arguments of AssemblyMetadataAttribute (the only attribute read here).</summary>
    private sealed class StringOnlyDecoder : ICustomAttributeTypeProvider<string>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();

        public string GetSystemType() => "System.Type";

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => "";

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => "";

        public string GetTypeFromSerializedName(string name) => name;

        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;

        public bool IsSystemType(string type) => type == "System.Type";
    }
}
