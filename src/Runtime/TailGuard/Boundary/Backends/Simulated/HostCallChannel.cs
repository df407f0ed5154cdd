using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using TailGuard.Tyche;
using TailGuard.Tyche.Simulation;

namespace TailGuard.Boundary;

/// <summary>
/// The domain calling out to the host (<see cref="HostCallsAttribute"/>): the domain's own view of the out-call region,
/// and a switch to the host. In the simulated monitor the host side is a host thread that serves the call while the
/// domain's core waits for it, which is the order of events of Tyche's coroutine switch (the domain resumes when the
/// host switches back). Everything the host returns is validated by the domain's proxy.
/// </summary>
internal sealed class HostCallChannel : BoundaryChannel, IDisposable
{
    private static readonly TimeSpan HostPatience = TimeSpan.FromSeconds(30);

    private readonly ulong _address;
    private readonly Action _serve;
    private readonly ManualResetEventSlim _request = new();
    private readonly ManualResetEventSlim _reply = new();
    private readonly Thread _host;
    private MemoryView _view;
    private Exception? _hostFailure;
    private volatile bool _stopping;
    private long _hostAllocated;

    /// <summary>Creates the channel and the host thread that serves it.</summary>
    /// <param name="layout">The [HostCalls] contract's layout.</param>
    /// <param name="address">The out-call region, shared between the domain and the host.</param>
    /// <param name="serve">What the host does when the domain switches to it (the host-calls entry's <see cref="BoundaryEntry.ServeHostCall(SimulatedMonitor)"/>).</param>
    public HostCallChannel(BoundaryLayout layout, ulong address, Action serve)
        : base(layout)
    {
        ArgumentNullException.ThrowIfNull(serve);
        _address = address;
        _serve = serve;
        _host = new Thread(HostLoop) { IsBackground = true, Name = "TailGuard host calls" };
        _host.Start();
        _reply.Wait(1); // a wait that blocks creates the event's lock now, not during a call (zero allocation per call)
    }

    /// <summary>Bytes the host thread has allocated so far (tests assert it stays flat per call).</summary>
    internal long HostThreadAllocatedBytes => Interlocked.Read(ref _hostAllocated);

    /// <summary>Stops the host thread.</summary>
    public void Dispose()
    {
        _stopping = true;
        _request.Set();
        if (_host.Join(HostPatience))
        {
            _request.Dispose();
            _reply.Dispose();
        }
    }

    /// <inheritdoc/>
    protected override Span<byte> GetRegion()
    {
        SimulatedCore core = BoundaryEntry.CurrentCore
            ?? throw new InvalidOperationException("Host calls can be made only by the domain while it serves a call.");
        try
        {
            if (!_view.IsCurrent)
            {
                _view = core.GetView(_address, Layout.RegionSize, MemoryRights.Read | MemoryRights.Write);
            }

            return _view.Span;
        }
        catch (MonitorException exception)
        {
            throw new BoundaryRevokedException("The out-call region is no longer the domain's: " + exception.Message, exception);
        }
    }

    /// <inheritdoc/>
    protected override void Switch(int length)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _reply.Reset();
        _request.Set();
        if (!_reply.Wait(HostPatience))
        {
            throw new BoundaryRevokedException("The host did not answer the domain's call.");
        }

        if (Interlocked.Exchange(ref _hostFailure, null) is { } failure)
        {
            throw new BoundaryViolationException("The host failed while serving the domain's call.", failure);
        }

        if (!_view.IsCurrent)
        {
            throw new BoundaryRevokedException("The out-call region was revoked during the host call.");
        }
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A host failure is reported to the waiting domain call, not left to kill a background thread.")]
    private void HostLoop()
    {
        while (true)
        {
            _request.Wait();
            _request.Reset();
            if (_stopping)
            {
                return;
            }

            try
            {
                _serve();
            }
            catch (Exception exception)
            {
                _hostFailure = exception;
            }

            Interlocked.Exchange(ref _hostAllocated, GC.GetAllocatedBytesForCurrentThread());
            _reply.Set();
        }
    }
}
