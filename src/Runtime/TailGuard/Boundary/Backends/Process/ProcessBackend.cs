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

    /// <summary>The most cores (<see cref="TrustDomainHostOptions.CoreCount"/>) a process domain runs on: one control block per core in the first shared page.</summary>
    public const int MaxCoreCount = SharedLayout.MaxCores;

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

        HostCallsPlan<TService>? plan = image.HostCalls;
        if ((plan is null ? image.ImplementationType : plan.ImplementationType) is not { } implementation)
        {
            throw new NotSupportedException(plan is null
                ? "The process backend builds the implementation inside the domain process: name its type (TrustDomainHost.Create<TService, TBinding, TImplementation>), not an instance."
                : "The process backend builds the implementation inside the domain process: name its type (TrustDomainHost.Create<TService, TBinding, TImplementation, THostCalls, THostBinding>(hostImplementation)), not a factory.");
        }

        if (options.Core != 0)
        {
            throw new NotSupportedException("The process backend numbers a domain's cores from 0 (Core 0); CoreCount says how many.");
        }

        if (options.CoreCount is < 1 or > MaxCoreCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CoreCount, $"CoreCount: a process domain runs on 1 to {MaxCoreCount} cores.");
        }

        if (plan is not null && options.CoreCount > 1)
        {
            throw new NotSupportedException("A domain that calls out to the host ([HostCalls]) runs on one core: its out-call region serves one call at a time.");
        }

        string assembly = typeof(TBinding).Assembly.Location;
        if (string.IsNullOrEmpty(assembly) || implementation.Assembly != typeof(TBinding).Assembly || (plan is not null && plan.HostBindingType.Assembly != typeof(TBinding).Assembly))
        {
            throw new NotSupportedException("The process backend loads the domain from one assembly file: the binding, the implementation (and any [HostCalls] binding) must be in the same assembly, loaded from a file.");
        }

        BoundaryLayout layout = TBinding.Layout;
        var shape = new DomainShape(layout, typeof(TBinding), implementation, options.CoreCount, plan?.Layout, plan?.HostBindingType);
        byte[] measurement = Measure(File.ReadAllBytes(assembly), shape.Configuration());
        string assemblyHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(assembly)));
        var sharedLayout = new SharedLayout(options.CoreCount, layout.RegionSize, plan?.Layout.RegionSize ?? 0);
        SharedMemory shared = SharedMemory.Create(sharedLayout);
        Process? process = null;
        try
        {
            ProcessHostCalls? hostCalls = plan is null ? null : new ProcessHostCalls(plan.CreateHostEntry(), plan.Layout.RegionSize);
            process = Start(assembly, shape, shared);
            var cores = new int[options.CoreCount];
            for (int core = 0; core < cores.Length; core++)
            {
                cores[core] = core;
            }

            return new ProcessDomain(process, shared, layout, cores, hostCalls, measurement, assemblyHash, _key, _options);
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
    /// The measurement a verifier expects of a one-core domain serving <typeparamref name="TService"/> with
    /// <paramref name="implementation"/>: SHA-256 over the SHA-256 of the assembly file that holds the binding and the
    /// implementation, then the configuration text (format version, contract, binding and implementation type names,
    /// region and scratch sizes, the seccomp allowance by name).
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation's type.</param>
    /// <returns>The 32-byte measurement.</returns>
    public static byte[] ExpectedMeasurement<TService, TBinding>(Type implementation)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        => ExpectedMeasurement<TService, TBinding>(implementation, coreCount: 1);

    /// <summary>
    /// The measurement a verifier expects of a domain on <paramref name="coreCount"/> cores
    /// (<see cref="TrustDomainHostOptions.CoreCount"/>): as <see cref="ExpectedMeasurement{TService, TBinding}(Type)"/>,
    /// with the core count in the configuration when it is above 1, so one contract on 1 and on 2 cores attests differently.
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation's type.</param>
    /// <param name="coreCount">The domain's cores.</param>
    /// <returns>The 32-byte measurement.</returns>
    public static byte[] ExpectedMeasurement<TService, TBinding>(Type implementation, int coreCount)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        ArgumentOutOfRangeException.ThrowIfLessThan(coreCount, 1);
        return Measure(typeof(TBinding), new DomainShape(TBinding.Layout, typeof(TBinding), implementation, coreCount, null, null));
    }

    /// <summary>
    /// The measurement a verifier expects of a domain that calls out to the host through <typeparamref name="THostCalls"/>:
    /// as <see cref="ExpectedMeasurement{TService, TBinding}(Type)"/>, with the [HostCalls] binding and its region in the configuration.
    /// </summary>
    /// <typeparam name="TService">The [TrustDomain] interface.</typeparam>
    /// <typeparam name="TBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <typeparam name="THostCalls">The [HostCalls] interface.</typeparam>
    /// <typeparam name="THostBinding">Its generated <c>{Name}Boundary</c>.</typeparam>
    /// <param name="implementation">The implementation's type.</param>
    /// <returns>The 32-byte measurement.</returns>
    public static byte[] ExpectedMeasurement<TService, TBinding, THostCalls, THostBinding>(Type implementation)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return Measure(typeof(TBinding), new DomainShape(TBinding.Layout, typeof(TBinding), implementation, 1, THostBinding.Layout, typeof(THostBinding)));
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An assembly without a file (single-file publishing) has an empty Location, which is refused with a clear error.")]
    private static byte[] Measure(Type binding, DomainShape shape) => Measure(File.ReadAllBytes(binding.Assembly.Location), shape.Configuration());

    private static byte[] Measure(ReadOnlySpan<byte> assembly, string configuration)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SHA256.HashData(assembly));
        hash.AppendData(Encoding.UTF8.GetBytes(configuration));
        return hash.GetHashAndReset();
    }

    private Process Start(string assembly, DomainShape shape, SharedMemory shared)
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
        start.ArgumentList.Add(shape.Binding.FullName!);
        start.ArgumentList.Add(shape.Implementation.FullName!);
        start.ArgumentList.Add($"/proc/{Environment.ProcessId}/fd/{shared.Fd}");
        start.ArgumentList.Add(shared.Layout.Cores.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(shared.Layout.RegionSize.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(shared.Layout.OutRegionSize.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(_options.SpinIterations.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(shape.HostBinding?.FullName ?? "-");
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
