using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Tyche;
using TailGuard.Tyche.Attestation;

namespace TailGuard.Boundary;

/// <summary>
/// A domain in a child process: the process, the shared mapping, the host's channel to each of its cores (and, for a
/// domain that calls out, the host's server of those calls), and why it stopped.
/// </summary>
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
    private readonly ProcessCallChannel[] _channels;
    private readonly ProcessHostCalls? _hostCalls;
    private long _unservedOutCalls;
    private readonly int _pid;
    private volatile string? _stopReason;
    private volatile bool _gone;
    private bool _sealed;
    private bool _disposed;

    public ProcessDomain(
        Process process, SharedMemory shared, BoundaryLayout layout, IReadOnlyList<int> cores, ProcessHostCalls? hostCalls,
        byte[] measurement, string assemblyHash, ECDsa key, ProcessBackendOptions options)
    {
        _process = process;
        _shared = shared;
        _layout = layout;
        _measurement = measurement;
        _assemblyHash = assemblyHash;
        _key = key;
        _options = options;
        _pid = process.Id;
        _hostCalls = hostCalls;
        Cores = cores;
        _channels = new ProcessCallChannel[cores.Count];
        for (int lane = 0; lane < _channels.Length; lane++)
        {
            _channels[lane] = new ProcessCallChannel(shared, lane, this, layout, hostCalls, options.SpinIterations, options.CallTimeout);
        }

        Channels = _channels;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Exited();
        if (process.HasExited)
        {
            Exited();
        }
    }

    public TrustDomain Handle => new(_pid, 0);

    /// <summary>The first core's shared region at its address in the host's mapping; the private memory is the child's own (no address the host could use).</summary>
    public BoundaryRegion Region => new((ulong)(_shared.Address + _shared.Layout.RegionOffset(0)), _layout.RegionSize, 0, _layout.ScratchSize);

    public IReadOnlyList<int> Cores { get; }

    public IReadOnlyList<BoundaryChannel> Channels { get; }

    /// <summary>Every core's answers, added up.</summary>
    public BoundaryCounters Counters => BoundaryCounters.Sum(_channels.Select(static channel => channel.Counters));

    /// <summary>What the host answered the domain's out-calls, or null for a domain without a [HostCalls] contract.</summary>
    public BoundaryCounters? HostCallCounters => _hostCalls?.Counters;

    /// <summary>Out-calls the host did not serve: published while no call was in flight, or by a domain without a [HostCalls] contract.</summary>
    public long UnservedOutCalls => Interlocked.Read(ref _unservedOutCalls);

    public string? StopReason => _stopReason;

    /// <summary>Counts an out-call the host did not serve (a hostile or broken domain: see <see cref="UnservedOutCalls"/>).</summary>
    public void CountUnservedOutCall() => Interlocked.Increment(ref _unservedOutCalls);

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
        StopEveryCore();
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
        StopEveryCore();
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

    /// <summary>Whether core <paramref name="core"/> has a call in flight.</summary>
    public bool InCall(int core) => _channels[core].InCall;

    /// <summary>Core <paramref name="core"/>'s control words in the host's mapping (tests write what a hostile domain would).</summary>
    public ref ControlBlock SharedControl(int core) => ref *_shared.Control(core);

    /// <summary>Core <paramref name="core"/>'s call region in the host's mapping (tests rewrite it as a hostile host would).</summary>
    public Span<byte> SharedRegion(int core) => _disposed ? default : _shared.Region(core);

    public void HostWrite(int offset, ReadOnlySpan<byte> bytes) => bytes.CopyTo(_shared.Region(0)[offset..]);

    public void HostRead(int offset, Span<byte> bytes) => _shared.Region(0).Slice(offset, bytes.Length).CopyTo(bytes);

    public bool Enter() => _channels[0].Enter();

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
        while (AnyInCall() && patience.Elapsed < StopPatience)
        {
            Thread.Sleep(1);
        }

        if (!AnyInCall())
        {
            _shared.Dispose();
        }

        _hostCalls?.Retire();

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
        foreach (ProcessCallChannel channel in _channels)
        {
            channel.WakeCaller();
        }
    }

    /// <summary>Tells every core of the domain to leave (its serving loop, or its wait for an out-call's answer) and wakes every caller.</summary>
    private void StopEveryCore()
    {
        for (int lane = 0; lane < _channels.Length; lane++)
        {
            ControlBlock* control = _shared.Control(lane);
            Volatile.Write(ref control->Stop, 1);
            ProcessNative.FutexWakeShared(&control->Request);
            ProcessNative.FutexWakeShared(&control->OutReply);
            _channels[lane].WakeCaller();
        }
    }

    private bool AnyInCall()
    {
        foreach (ProcessCallChannel channel in _channels)
        {
            if (channel.InCall)
            {
                return true;
            }
        }

        return false;
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
