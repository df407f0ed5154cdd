using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using TailGuard.Tyche.Attestation;

namespace TailGuard.Boundary;

/// <summary>
/// Domains in child processes (docs/trust-boundary.md, "Backends"): each domain is a <c>tailguard-domain</c> process
/// that loads the domain assembly and runs the generated entry; the call region is a sealed <c>memfd</c> mapped in both
/// processes; the domain's private memory is its own address space; the child is non-dumpable and runs under a seccomp
/// filter. Calls are signalled through the shared memory (spin, then futex). Attestation: the SHA-256 of the domain
/// assembly's bytes and of its configuration, signed by this backend's ECDSA P-256 key (<see cref="ExportPublicKey"/>).
/// It protects a domain's secrets from bugs and from non-root code in the host process; the machine's root (or any
/// process with CAP_SYS_PTRACE) can still read the child's memory, and the host controls what the child starts from.
/// Linux x86_64 only (<see cref="IsSupported"/>).
/// </summary>
public sealed class ProcessBackend : ITrustDomainBackend, IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ProcessBackendOptions _options;

    /// <summary>Creates the backend and its signing key.</summary>
    /// <param name="options">Options, or null for the defaults.</param>
    public ProcessBackend(ProcessBackendOptions? options = null)
    {
        _options = options ?? new ProcessBackendOptions();
        if (_options.SpinIterations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.SpinIterations, "SpinIterations must not be negative.");
        }

        if (_options.CallTimeout <= TimeSpan.Zero && _options.CallTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.CallTimeout, "CallTimeout must be positive, or Timeout.InfiniteTimeSpan for no limit.");
        }
    }

    /// <summary>Whether this machine can run process-isolated domains (Linux, x86_64: the seccomp filter is written for it).</summary>
    public static bool IsSupported => SeccompFilter.IsSupported;

    /// <inheritdoc/>
    public string Name => "process";

    /// <summary>The public half of the key that signs attestation reports (SubjectPublicKeyInfo, DER), for <see cref="AttestationVerifier"/>.</summary>
    /// <returns>The key.</returns>
    public byte[] ExportPublicKey() => _key.ExportSubjectPublicKeyInfo();

    /// <inheritdoc/>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file (single-file publishing) has an empty Location, which is refused with a clear error.")]
    public ITrustDomainInstance CreateDomain<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("The process backend needs Linux on x86_64 (memfd, futex, a seccomp filter written for x86_64).");
        }

        if (image.HostCalls is not null)
        {
            throw new NotSupportedException("The process backend does not carry [HostCalls] out-calls yet; use the simulated backend for such a domain.");
        }

        if (image.ImplementationType is not { } implementation)
        {
            throw new NotSupportedException("The process backend builds the implementation inside the domain process: name its type (TrustDomainHost.Create<TService, TBinding, TImplementation>), not an instance.");
        }

        if (options.Core != 0 || options.CoreCount != 1)
        {
            throw new NotSupportedException("The process backend runs a domain on one core (Core 0, CoreCount 1) for now.");
        }

        string assembly = typeof(TBinding).Assembly.Location;
        if (string.IsNullOrEmpty(assembly) || implementation.Assembly != typeof(TBinding).Assembly)
        {
            throw new NotSupportedException("The process backend loads the domain from one assembly file: the binding and the implementation must be in the same assembly, loaded from a file.");
        }

        BoundaryLayout layout = TBinding.Layout;
        byte[] measurement = ExpectedMeasurement<TService, TBinding>(implementation);
        string assemblyHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(assembly)));
        SharedMemory shared = SharedMemory.Create(layout.RegionSize);
        Process? process = null;
        try
        {
            process = Start(assembly, typeof(TBinding).FullName!, implementation.FullName!, shared, layout.RegionSize);
            return new ProcessDomain(process, shared, layout, measurement, assemblyHash, _key, _options);
        }
        catch
        {
            if (process is { HasExited: false })
            {
                process.Kill();
            }

            process?.Dispose();
            shared.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    /// <summary>
    /// The measurement a verifier expects of a domain serving <typeparamref name="TService"/> with
    /// <paramref name="implementation"/>: SHA-256 over the SHA-256 of the assembly file that holds the binding and the
    /// implementation, then the configuration text (format version, contract, binding and implementation type names,
    /// region and scratch sizes, the seccomp allowance by name).
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation's type.</param>
    /// <returns>The 32-byte measurement.</returns>
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file (single-file publishing) has an empty Location, which is refused with a clear error.")]
    public static byte[] ExpectedMeasurement<TService, TBinding>(Type implementation)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        BoundaryLayout layout = TBinding.Layout;
        string configuration = string.Create(
            CultureInfo.InvariantCulture,
            $"tailguard process domain 1\n{layout.Contract}\n{typeof(TBinding).FullName}\n{implementation.FullName}\nregion 0x{layout.RegionSize:X}\nscratch 0x{layout.ScratchSize:X}\nseccomp {string.Join(',', Array.ConvertAll(SeccompFilter.Allowed, s => s.Name))}\n");
        return Measure(File.ReadAllBytes(typeof(TBinding).Assembly.Location), configuration);
    }

    private static byte[] Measure(ReadOnlySpan<byte> assembly, string configuration)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SHA256.HashData(assembly));
        hash.AppendData(Encoding.UTF8.GetBytes(configuration));
        return hash.GetHashAndReset();
    }

    private Process Start(string assembly, string binding, string implementation, SharedMemory shared, int regionSize)
    {
        string host = DomainHostLocation.Find(_options.DomainHostPath, AppContext.BaseDirectory, DomainHostLocation.RuntimeFolder());
        string runtime = DomainHostLocation.RuntimeAssembly()
            ?? throw new NotSupportedException("The process backend starts its child on the host's TailGuard.dll file; this TailGuard was not loaded from a file (single-file publishing).");
        var start = new ProcessStartInfo(DotNet())
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(host);
        start.ArgumentList.Add(runtime);
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add(binding);
        start.ArgumentList.Add(implementation);
        start.ArgumentList.Add($"/proc/{Environment.ProcessId}/fd/{shared.Fd}");
        start.ArgumentList.Add(shared.Length.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(regionSize.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(_options.SpinIterations.ToString(CultureInfo.InvariantCulture));
        // Under the filter the runtime must not need what it would do lazily: no tiering (its background compiler is a
        // thread created later), no W^X double mapping (it grows a memfd), no diagnostic server (nothing may attach).
        start.Environment["DOTNET_TieredCompilation"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        return Process.Start(start) ?? throw new InvalidOperationException("The domain process did not start.");
    }

    /// <summary>
    /// The muxer that runs the child: the SDK's (DOTNET_HOST_PATH), this process when it is dotnet, the one at the root
    /// of the runtime this process runs on (an application started through its apphost), else dotnet on PATH.
    /// </summary>
    private static string DotNet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path))
        {
            return path;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        // The runtime lives in <root>/shared/Microsoft.NETCore.App/<version>/.
        string root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string muxer = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(muxer) ? muxer : "dotnet";
    }
}
