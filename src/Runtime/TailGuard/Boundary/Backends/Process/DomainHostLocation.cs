using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;

namespace TailGuard.Boundary;

/// <summary>
/// Where <see cref="ProcessBackend"/> finds <c>tailguard-domain.dll</c>, its child program (docs/trust-boundary.md,
/// "Where tailguard-domain is found"), first match wins:
/// <list type="number">
/// <item><see cref="ProcessBackendOptions.DomainHostPath"/>, when set (it must exist: no fallback hides a wrong path);</item>
/// <item>the application's folder (<see cref="AppContext.BaseDirectory"/>): the TailGuard package's build targets copy it
/// there, and so does a project reference to <c>src/Runtime/TailGuard.DomainHost</c>;</item>
/// <item>the folder TailGuard.dll was loaded from;</item>
/// <item>the TailGuard package's own <c>tools/net10.0/</c>, when TailGuard.dll runs from the package's <c>lib/net10.0/</c>
/// (a host that loads assemblies straight from the NuGet cache).</item>
/// </list>
/// </summary>
internal static class DomainHostLocation
{
    public const string FileName = "tailguard-domain.dll";

    /// <summary>The places searched, in order, for an application in <paramref name="applicationFolder"/> with TailGuard.dll in <paramref name="runtimeFolder"/>.</summary>
    public static IReadOnlyList<string> Candidates(string applicationFolder, string? runtimeFolder)
    {
        var candidates = new List<string> { Path.GetFullPath(Path.Combine(applicationFolder, FileName)) };
        if (!string.IsNullOrEmpty(runtimeFolder))
        {
            candidates.Add(Path.GetFullPath(Path.Combine(runtimeFolder, FileName)));
            candidates.Add(Path.GetFullPath(Path.Combine(runtimeFolder, "..", "..", "tools", "net10.0", FileName)));
        }

        return candidates;
    }

    /// <summary>The domain host to start.</summary>
    /// <exception cref="FileNotFoundException">The configured path does not exist, or no candidate does (the message lists each place searched).</exception>
    public static string Find(string? configured, string applicationFolder, string? runtimeFolder)
    {
        if (configured is not null)
        {
            return File.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new FileNotFoundException($"ProcessBackendOptions.DomainHostPath names no file: {configured}.", configured);
        }

        IReadOnlyList<string> candidates = Candidates(applicationFolder, runtimeFolder);
        foreach (string candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"The process backend's child program {FileName} was not found. Searched, in order: {string.Join("; ", candidates)}. "
            + "The TailGuard package copies it beside the application's output (unless TailGuardCopyDomainHost is false); "
            + "in the repository, reference src/Runtime/TailGuard.DomainHost; or set ProcessBackendOptions.DomainHostPath.",
            candidates[0]);
    }

    /// <summary>The folder this TailGuard.dll was loaded from, or null (an assembly without a file).</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file has an empty Location: the folder is then unknown and not searched.")]
    public static string? RuntimeFolder()
        => typeof(DomainHostLocation).Assembly.Location is { Length: > 0 } location ? Path.GetDirectoryName(location) : null;

    /// <summary>This TailGuard.dll, which the child loads too, or null (an assembly without a file).</summary>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file has an empty Location, refused with a clear error by the caller.")]
    public static string? RuntimeAssembly()
        => typeof(DomainHostLocation).Assembly.Location is { Length: > 0 } location ? location : null;
}
