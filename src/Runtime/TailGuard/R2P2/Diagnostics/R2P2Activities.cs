using System.Buffers;
using System.Diagnostics;
using TailGuard.Diagnostics;

namespace TailGuard.R2P2;

/// <summary>
/// The R2P2 spans (the "TailGuard.R2P2" activity source): one per client call, one per request a server handles. A span
/// exists only while a listener samples it: without listeners a call costs one check, and with a listener that does
/// not sample, the source asks it and gets nothing back, allocating nothing.
/// </summary>
internal static class R2P2Activities
{
    public const string UnnamedClientSpan = "R2P2 call";
    public const string UnnamedServerSpan = "R2P2 request";

    public static ActivitySource Source { get; } = new(TailGuardTelemetry.ActivitySourceName, TailGuardTelemetry.Version);

    /// <summary>
    /// Starts a client span as a child of the caller's current activity, or returns null. When one starts it is
    /// <see cref="Activity.Current"/> until <see cref="Restore"/>: the payload writer runs in between, so a generated
    /// client writes this span's context into the request (<see cref="R2P2TraceContext"/>).
    /// </summary>
    public static Activity? StartClient(R2P2MethodDescriptor? method, out Activity? previous)
    {
        previous = null;
        if (!Source.HasListeners())
        {
            return null;
        }

        previous = Activity.Current;
        var activity = Source.StartActivity(method?.FullName ?? UnnamedClientSpan, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "r2p2");
            if (method is not null)
            {
                activity.SetTag("rpc.service", method.ServiceName);
                activity.SetTag("rpc.method", method.Name);
            }
        }

        return activity;
    }

    /// <summary>Makes the caller's activity current again after <see cref="StartClient"/> started one.</summary>
    public static void Restore(Activity? started, Activity? previous)
    {
        if (started is not null)
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// Starts a server span for a delivered request, or returns null: a child of the trace context the request carries
    /// when its service has one, otherwise a root. It is <see cref="Activity.Current"/> while the handler runs.
    /// </summary>
    public static Activity? StartServer(R2P2MethodDescriptor? method, R2P2ServiceDescriptor? service, in ReadOnlySequence<byte> payload, PacketAddress client)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = default;
        if (service is { CarriesTraceContext: true })
        {
            R2P2TraceContext.TryRead(payload, R2P2TraceContext.Offset, out parent);
        }

        var activity = Source.StartActivity(method?.FullName ?? UnnamedServerSpan, ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("rpc.system", "r2p2");
            if (method is not null)
            {
                activity.SetTag("rpc.service", method.ServiceName);
                activity.SetTag("rpc.method", method.Name);
            }

            activity.SetTag("client.address", client.ToString());
        }

        return activity;
    }

    /// <summary>
    /// Ends a span with its outcome, on whatever thread the call or request ended, leaving that thread's current
    /// activity as it was (stopping would otherwise make the span's parent current there).
    /// </summary>
    public static void Stop(Activity activity, R2P2Outcome outcome)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(R2P2Tags.Outcome, R2P2Outcomes.Name(outcome));
            if (outcome != R2P2Outcome.Ok)
            {
                activity.SetStatus(ActivityStatusCode.Error, R2P2Outcomes.Name(outcome));
            }
        }

        var current = Activity.Current;
        activity.Stop();
        if (current != activity)
        {
            Activity.Current = current;
        }
    }
}
