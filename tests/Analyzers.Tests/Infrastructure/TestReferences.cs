using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace TailGuard.Analyzers.Tests.Infrastructure;

/// <summary>
/// What test sources compile against: the .NET 10 reference pack (restored from NuGet by the testing library, the
/// version the installed SDK ships) and the TailGuard runtime assembly with the attributes.
/// </summary>
internal static class TestReferences
{
    internal static readonly ReferenceAssemblies Net10 = new(
        "net10.0",
        new PackageIdentity("Microsoft.NETCore.App.Ref", "10.0.12"),
        Path.Combine("ref", "net10.0"));

    internal static readonly MetadataReference TailGuardRuntime =
        MetadataReference.CreateFromFile(typeof(HotPathAttribute).Assembly.Location);

    /// <summary>
    /// Microsoft.Extensions.Logging.Abstractions (ILogger and its extension methods), the copy this test project already
    /// has: a package the testing library downloads at test time failed to resolve once under load (CS0234 instead of
    /// TG4003, 2026-12-01).
    /// </summary>
    internal static readonly MetadataReference LoggingAbstractions =
        MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location);

    /// <summary>TailGuard.Replication, which a replicated service contract needs (without it: TG5010).</summary>
    internal static readonly MetadataReference TailGuardReplication =
        MetadataReference.CreateFromFile(typeof(TailGuard.Replication.IReplicatedService).Assembly.Location);
}
