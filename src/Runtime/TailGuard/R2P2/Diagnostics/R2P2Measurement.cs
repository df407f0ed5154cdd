using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TailGuard.R2P2;

/// <summary>
/// One client call or one request a server handles, from its start to its end: its duration goes to the histogram with
/// the method's pre-built tags, the in-flight gauge goes up and back down, and its span (when a listener sampled one)
/// ends with the outcome. Kept by value where the call or request lives (a pending call, a deferred-response slot);
/// <see cref="End"/> once, on whatever thread the call or request ends.
/// </summary>
internal struct R2P2Measurement
{
    private Histogram<double>? _duration;
    private UpDownCounter<long>? _active;
    private R2P2MethodDescriptor? _method;
    private long _start;
    private Activity? _activity;

    private R2P2Measurement(Histogram<double> duration, UpDownCounter<long> active, R2P2MethodDescriptor? method, Activity? activity)
    {
        _duration = duration;
        _active = active;
        _method = method;
        _activity = activity;
        _start = Stopwatch.GetTimestamp();
        active.Add(1);
    }

    /// <summary>The call's span, if a listener sampled one.</summary>
    public readonly Activity? Activity => _activity;

    /// <summary>
    /// Starts measuring a delivered request; its span (if any) is current on this thread until <see cref="End"/> or
    /// <see cref="Detach"/>, and <paramref name="previous"/> is what was current before.
    /// </summary>
    public static R2P2Measurement StartRequest(R2P2Instruments instruments, R2P2MethodDescriptor? method, R2P2ServiceDescriptor? service, in ReadOnlySequence<byte> payload, PacketAddress client, out Activity? previous)
    {
        previous = Activity.Current;
        var activity = R2P2Activities.StartServer(method, service, payload, client);
        return new R2P2Measurement(instruments.ServerRequestDuration, instruments.ServerActiveRequests, method, activity);
    }

    /// <summary>Starts measuring a client call whose span (if any) <see cref="R2P2Activities.StartClient"/> started.</summary>
    public static R2P2Measurement StartCall(R2P2Instruments instruments, R2P2MethodDescriptor? method, Activity? activity)
        => new(instruments.ClientCallDuration, instruments.ClientActiveCalls, method, activity);

    /// <summary>Records the duration with <paramref name="outcome"/>, lowers the gauge and ends the span; then does nothing more.</summary>
    public void End(R2P2Outcome outcome)
    {
        var duration = _duration;
        if (duration is null)
        {
            return;
        }

        duration.Record(R2P2Instruments.Seconds(_start, Stopwatch.GetTimestamp()), R2P2Tags.Of(_method, outcome));
        _active!.Add(-1);
        if (_activity is not null)
        {
            R2P2Activities.Stop(_activity, outcome);
        }

        this = default;
    }

    /// <summary>
    /// Ends an answered call or request: <see cref="R2P2Outcome.Ok"/>, or for a method of a generated service the
    /// outcome its response's status byte names (<paramref name="firstPayloadByte"/>, -1 for an empty payload).
    /// </summary>
    public void EndAnswered(int firstPayloadByte)
        => End(_method is null ? R2P2Outcome.Ok : R2P2Outcomes.FromStatus(firstPayloadByte));

    /// <summary>
    /// The request goes on elsewhere (deferred): <paramref name="previous"/> is current on this thread again, and the
    /// span stays open for whoever ends the measurement.
    /// </summary>
    public readonly void Detach(Activity? previous)
    {
        if (_activity is not null && Activity.Current == _activity)
        {
            Activity.Current = previous;
        }
    }
}
