using System.Collections.Generic;

namespace TailGuard.Diagnostics;

/// <summary>
/// The names under which TailGuard publishes metrics and traces, for OpenTelemetry (<c>AddMeter</c>,
/// <c>AddSource</c>), <c>dotnet-counters</c> and <see cref="System.Diagnostics.Metrics.MeterListener"/>s. The
/// instruments and spans behind each name are listed in docs/hosting.md ("Metrics" and "Traces").
/// </summary>
public static class TailGuardTelemetry
{
    /// <summary>R2P2 clients and servers: call and handling durations, in-flight gauges, request and datagram counters.</summary>
    public const string R2P2MeterName = "TailGuard.R2P2";

    /// <summary>Trust-domain boundaries: calls answered, violations refused, entries refused, revocations.</summary>
    public const string BoundaryMeterName = "TailGuard.Boundary";

    /// <summary>The simulated Tyche monitor: switches into domains, domains revoked.</summary>
    public const string MonitorMeterName = "TailGuard.Tyche";

    /// <summary>
    /// The activity source of R2P2 client-call and server-handling spans. Spans are created only while a listener
    /// samples them; otherwise a call costs a check and allocates nothing.
    /// </summary>
    public const string ActivitySourceName = "TailGuard.R2P2";

    /// <summary>Every meter name above.</summary>
    public static IReadOnlyList<string> MeterNames { get; } = [R2P2MeterName, BoundaryMeterName, MonitorMeterName];

    /// <summary>The version every TailGuard meter and activity source reports (the runtime assembly's).</summary>
    internal static string Version { get; } = typeof(TailGuardTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
