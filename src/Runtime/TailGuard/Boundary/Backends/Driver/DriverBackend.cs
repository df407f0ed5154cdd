using System;
using System.Security.Cryptography;
using TailGuard.Tyche;
using TailGuard.Tyche.Driver;

namespace TailGuard.Boundary;

/// <summary>
/// Domains in real Tyche trust domains, through the Linux <c>/dev/tyche</c> driver (<see cref="DriverMonitor"/>;
/// docs/trust-boundary.md, "The Tyche driver backend"). The domain runs <see cref="Binary"/>, native code that serves
/// the boundary's calls (the entry loop); the monitor isolates its private memory from the host in hardware. A
/// [TrustDomain] implementation written in .NET cannot run here: the image's implementation type is not loaded.
/// </summary>
/// <remarks>
/// Building the backend fails at once, naming <c>/dev/tyche</c>, on a machine without the Tyche driver. Per domain:
/// one mapping of the device holding, in this order, the code (confidential, read and execute, hashed), the page
/// tables, each core's stack and private scratch (confidential, zeroed on revocation) and each core's call region
/// (shared); a context per core with the entry loop's registers; COMMIT to seal; GET_ATTESTATION for the report;
/// TRANSITION on the core for each call; closing the descriptor to revoke.
/// </remarks>
public sealed class DriverBackend : ITrustDomainBackend, IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly bool _ownsMonitor;

    /// <summary>A backend on the Tyche driver at <paramref name="devicePath"/>, running <paramref name="binary"/> in each domain.</summary>
    /// <param name="binary">The native code each domain runs.</param>
    /// <param name="devicePath">The driver's device.</param>
    /// <exception cref="MonitorException">No Tyche driver here (<see cref="MonitorError.DeviceError"/> naming the device, or <see cref="MonitorError.NotSupported"/> off Linux x86-64).</exception>
    public DriverBackend(DriverDomainBinary binary, string devicePath = DriverAbi.DevicePath)
        : this(new DriverMonitor(devicePath), binary, ownsMonitor: true)
    {
    }

    /// <summary>A backend on a monitor the caller owns (tests give one over a fake device).</summary>
    internal DriverBackend(DriverMonitor monitor, DriverDomainBinary binary, bool ownsMonitor = false)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(binary);
        Monitor = monitor;
        Binary = binary;
        _ownsMonitor = ownsMonitor;
    }

    /// <inheritdoc/>
    public string Name => "driver";

    /// <summary>The native code each domain runs.</summary>
    public DriverDomainBinary Binary { get; }

    /// <summary>
    /// How long one call may take, its re-entries after interrupts and timer exits included (default 10 s). A domain
    /// that has not answered by then is revoked, and the call fails with <see cref="BoundaryRevokedException"/>.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal DriverMonitor Monitor { get; }

    /// <summary>The public half of the key that signs attestation reports (SubjectPublicKeyInfo, DER), for <see cref="Tyche.Attestation.AttestationVerifier"/>.</summary>
    /// <returns>The key.</returns>
    public byte[] ExportPublicKey() => _key.ExportSubjectPublicKeyInfo();

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">The image calls out to the host ([HostCalls]): the entry loop has no out-call path.</exception>
    public ITrustDomainInstance CreateDomain<TService, TBinding>(TrustDomainImage<TService> image, TrustDomainHostOptions options)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        if (image.HostCalls is not null)
        {
            throw new NotSupportedException("The driver backend's entry loop has no out-call path: a [HostCalls] domain runs on the simulated or process backend.");
        }

        if (options.CoreCount < 1 || options.Core < 0 || options.Core + options.CoreCount > Monitor.CoreCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options),
                $"Core {options.Core}, CoreCount {options.CoreCount}: the domain's cores (at least one) must be among the machine's {Monitor.CoreCount} CPUs (the driver runs a domain on the CPU it is entered from).");
        }

        return DriverDomain.Create(Monitor, Binary, TBinding.Layout, options.Core, options.CoreCount, CallTimeout, _key);
    }

    /// <summary>Releases the signing key and, when the backend opened it, the driver (revoking any domain still open).</summary>
    public void Dispose()
    {
        _key.Dispose();
        if (_ownsMonitor)
        {
            Monitor.Dispose();
        }
    }
}
