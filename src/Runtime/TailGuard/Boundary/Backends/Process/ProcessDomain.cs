using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;

namespace TailGuard.Boundary;

/// <summary>A domain in a child process: the process, the shared mapping, the host's channel, and why it stopped.</summary>
internal sealed unsafe class ProcessDomain : ITrustDomainInstance, ISharedRegionAccess
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly SharedMemory _shared;
    private readonly BoundaryLayout _layout;
    private readonly byte[] _measurement;
    private readonly string _assemblyHash;
    private readonly ECDsa _key;
    private readonly ProcessBackendOptions _options;
    private readonly ProcessCallChannel _channel;
    private readonly int _pid;
    private volatile string? _stopReason;
    private volatile bool _gone;
    private bool _sealed;
    private bool _disposed;

    public ProcessDomain(Process process, SharedMemory shared, BoundaryLayout layout, byte[] measurement, string assemblyHash, ECDsa key, ProcessBackendOptions options)
    {
        _process = process;
        _shared = shared;
        _layout = layout;
        _measurement = measurement;
        _assemblyHash = assemblyHash;
        _key = key;
        _options = options;
        _pid = process.Id;
        _channel = new ProcessCallChannel(shared, this, layout, options.SpinIterations, options.CallTimeout);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Exited();
        if (process.HasExited)
        {
            Exited();
        }
    }

    public TrustDomain Handle => new(_pid, 0);

    /// <summary>The shared region at its address in the host's mapping; the private memory is the child's own (no address the host could use).</summary>
    public BoundaryRegion Region => new((ulong)(_shared.Address + SharedMemory.RegionOffset), _layout.RegionSize, 0, _layout.ScratchSize);

    public IReadOnlyList<int> Cores { get; } = [0];

    public IReadOnlyList<BoundaryChannel> Channels => [_channel];

    public BoundaryCounters Counters => _channel.Counters;

    public string? StopReason => _stopReason;

    /// <summary>Whether the domain can no longer answer (revoked, or its process is gone).</summary>
    public bool Gone => _gone;

    /// <summary>The child's process id.</summary>
    public int ProcessId => _pid;

    /// <summary>Everything the host can read through its own mapping of the domain's memory (tests scan it).</summary>
    public ReadOnlySpan<byte> HostMapping => _disposed ? default : _shared.All;

    /// <summary>What the child reported once sealed: "dumpable=0 seccomp=1".</summary>
    public string? Sealing { get; private set; }

    public void Seal()
    {
        string? line;
        try
        {
            line = _process.StandardOutput.ReadLineAsync().WaitAsync(_options.StartTimeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"The domain process did not report ready within {_options.StartTimeout}.");
        }

        if (line is null || !line.StartsWith("READY ", StringComparison.Ordinal))
        {
            _process.WaitForExit(StopPatience);
            throw new InvalidOperationException("The domain process failed to start: " + (line ?? ExitDescription()));
        }

        string[] parts = line.Split(' ');
        if (parts.Length < 4 || parts[2] != "dumpable=0" || parts[3] != "seccomp=1")
        {
            throw new InvalidOperationException("The domain process did not seal itself: " + line);
        }

        if (!string.Equals(parts[1], _assemblyHash, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The domain process loaded other bytes than the host measured (the assembly file changed while it started).");
        }

        Sealing = parts[2] + " " + parts[3];
        _sealed = true;

        // Anything the domain writes later is drained (never parsed): a full pipe would block the domain.
        _ = Task.Run(() => _process.StandardOutput.BaseStream.CopyToAsync(System.IO.Stream.Null));
    }

    public byte[] Attest(ReadOnlySpan<byte> nonce)
    {
        if (!_sealed)
        {
            throw new InvalidOperationException("Only a sealed domain is attested.");
        }

        if (nonce.Length is < 1 or > AttestationReport.MaxNonceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(nonce), nonce.Length, $"The nonce is 1 to {AttestationReport.MaxNonceLength} bytes.");
        }

        return AttestationReport.Create(_pid, _measurement, nonce, 0, ProcessGraph, _key);
    }

    public void Revoke()
    {
        if (_gone && _process.HasExited)
        {
            return;
        }

        _stopReason ??= "The trust domain was revoked by its host.";
        _gone = true;
        ControlBlock* control = _shared.Control;
        Volatile.Write(ref control->Stop, 1);
        ProcessNative.FutexWakeShared(&control->Request);
        _channel.WakeCaller();
        try
        {
            if (!_process.WaitForExit(StopPatience))
            {
                _process.Kill();
                _process.WaitForExit(StopPatience);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>
    /// Revokes a domain that did not answer a call within <paramref name="timeout"/>: its process is killed at once (it may
    /// be stopped or stuck, so it cannot be asked to leave), and the reason is kept for <see cref="StopReason"/>.
    /// </summary>
    public void RevokeSilent(TimeSpan timeout)
    {
        _stopReason ??= string.Create(
            CultureInfo.InvariantCulture,
            $"The trust domain did not answer a call within {timeout.TotalMilliseconds:0} ms (ProcessBackendOptions.CallTimeout): it was revoked and its process killed.");
        _gone = true;
        Volatile.Write(ref _shared.Control->Stop, 1);
        try
        {
            _process.Kill();
            _process.WaitForExit(StopPatience);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // could not be signalled: it is gone, or going
        }
    }

    public void HostWrite(int offset, ReadOnlySpan<byte> bytes) => bytes.CopyTo(_shared.Region(_layout.RegionSize)[offset..]);

    public void HostRead(int offset, Span<byte> bytes) => _shared.Region(_layout.RegionSize).Slice(offset, bytes.Length).CopyTo(bytes);

    public bool Enter() => _channel.Enter();

    /// <summary>Kills the domain process (tests: a domain that dies mid-call).</summary>
    public void Kill() => _process.Kill();

    /// <summary>Polls the process (in case its exit was not reported yet); true when it has exited.</summary>
    public bool CheckExited()
    {
        if (_process.HasExited)
        {
            Exited();
            return true;
        }

        return false;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Revoke();
        _disposed = true;

        // Never unmap under a caller still inside a call: it is woken by Revoke and leaves within one wait slice.
        var patience = Stopwatch.StartNew();
        while (_channel.InCall && patience.Elapsed < StopPatience)
        {
            Thread.Sleep(1);
        }

        if (!_channel.InCall)
        {
            _shared.Dispose();
        }

        _process.Dispose();
    }

    /// <summary>
    /// The capability graph of a process domain, in the engine's format: one domain holding no Tyche capability (none
    /// exists here). Verifiers read the measurement; the graph only keeps the report's shape common to every backend.
    /// </summary>
    private static ReadOnlySpan<byte> ProcessGraph =>
    [
        (byte)'c', (byte)'a', (byte)'p', (byte)'a',
        CapabilityGraphFormat.RegionHeader, CapabilityGraphFormat.EndMarker,
        CapabilityGraphFormat.DomainHeader,
        0, 0, 0, 0, 0, 0, 0, 0, // domain index 0
        0, 0, 0, 0, 0, 0, 0, 0, // monitor-interface permissions: none
        CapabilityGraphFormat.DomainCapabilitiesStart, CapabilityGraphFormat.DomainCapabilitiesEnd,
        CapabilityGraphFormat.EndMarker, CapabilityGraphFormat.EndMarker,
    ];

    private void Exited()
    {
        if (!_gone)
        {
            _stopReason = "The domain process exited: " + ExitDescription() + ".";
        }

        _gone = true;
        _channel.WakeCaller();
    }

    private string ExitDescription()
    {
        try
        {
            if (!_process.HasExited)
            {
                return "it is still running";
            }

            int code = _process.ExitCode;
            return code switch
            {
                128 + 31 => "killed by SIGSYS: it made a system call its seccomp filter does not allow (docs/trust-boundary.md lists the allowance)",
                128 + 9 => "killed (SIGKILL)",
                > 128 => $"killed by signal {code - 128}",
                _ => $"exit code {code}",
            };
        }
        catch (InvalidOperationException)
        {
            return "its state is unknown";
        }
    }
}
