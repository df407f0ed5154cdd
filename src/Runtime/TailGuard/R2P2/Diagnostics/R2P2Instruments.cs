using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using TailGuard.Diagnostics;

namespace TailGuard.R2P2;

/// <summary>
/// The instruments of the "TailGuard.R2P2" meter (clients, servers and routers; a router, which has no meter factory
/// option, counts on the shared meter). With an <see cref="IMeterFactory"/> (the options'
/// <c>MeterFactory</c>, which <c>TailGuard.Hosting</c> sets from dependency injection) the meter is that factory's, so
/// each host's listeners see only its own clients and servers; without one, a process-wide static meter is the
/// fallback. Every measurement uses pre-built tag lists: recording allocates nothing.
/// </summary>
internal sealed class R2P2Instruments
{
    // From a microsecond to ten seconds, about three buckets a decade: an R2P2 call lives in microseconds, a timeout in seconds.
    private static readonly double[] DurationBuckets =
    [
        0.000_001, 0.000_002, 0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_2, 0.000_5,
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10,
    ];

    private static readonly ConditionalWeakTable<IMeterFactory, R2P2Instruments> ByFactory = [];

    private R2P2Instruments(Meter meter)
    {
        Meter = meter;
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        ClientCallDuration = meter.CreateHistogram("tailguard.r2p2.client.call.duration", "s", "How long client calls took, from the call to its end, by service, method and outcome.", tags: null, advice);
        ServerRequestDuration = meter.CreateHistogram("tailguard.r2p2.server.request.duration", "s", "How long servers took to handle whole requests, from delivery to the response (or a deferred answer), by service, method and outcome.", tags: null, advice);
        ClientActiveCalls = meter.CreateUpDownCounter<long>("tailguard.r2p2.client.active_calls", "{call}", "Client calls in flight.");
        ServerActiveRequests = meter.CreateUpDownCounter<long>("tailguard.r2p2.server.active_requests", "{request}", "Requests being handled or waiting for a deferred answer.");
        ClientRequests = meter.CreateCounter<long>("tailguard.r2p2.client.requests", "{request}", "Calls started by R2P2 clients.");
        ClientResponses = meter.CreateCounter<long>("tailguard.r2p2.client.responses", "{response}", "Calls that ended with a whole response.");
        ClientTimeouts = meter.CreateCounter<long>("tailguard.r2p2.client.timeouts", "{request}", "Calls whose timer fired.");
        ClientDrops = meter.CreateCounter<long>("tailguard.r2p2.client.drops", "{request}", "Calls the server refused with DROP.");
        ClientMalformed = meter.CreateCounter<long>("tailguard.r2p2.client.malformed_datagrams", "{datagram}", "Datagrams a client dropped: bad header, unknown rid, or a response that failed its call.");
        ServerRequests = meter.CreateCounter<long>("tailguard.r2p2.server.requests", "{request}", "Complete requests handed to handlers.");
        ServerResponses = meter.CreateCounter<long>("tailguard.r2p2.server.responses", "{response}", "Responses sent.");
        ServerDrops = meter.CreateCounter<long>("tailguard.r2p2.server.drops", "{request}", "Requests refused with DROP: by the admission policy, or while draining.");
        ServerMalformed = meter.CreateCounter<long>("tailguard.r2p2.server.malformed_datagrams", "{datagram}", "Datagrams a server dropped: bad header, unserved type or policy, orphan or inconsistent packets.");
        ServerHandlerFailures = meter.CreateCounter<long>("tailguard.r2p2.server.handler_failures", "{request}", "Handler calls that threw (no response is sent).");
        ServerExpiredResponses = meter.CreateCounter<long>("tailguard.r2p2.server.expired_responses", "{response}", "Deferred responses released unanswered at their deadline.");
        ServerLateResponses = meter.CreateCounter<long>("tailguard.r2p2.server.late_responses", "{response}", "Answers to deferred requests ignored: second, after the deadline, or after the server stopped.");
        ClientForged = meter.CreateCounter<long>("tailguard.r2p2.client.forged_datagrams", "{datagram}", "Datagrams for a call in flight from a source that may not answer it, or with a tag that did not verify.");
        ClientCallbackFailures = meter.CreateCounter<long>("tailguard.r2p2.client.callback_failures", "{failure}", "Inline continuations that threw, and defects a client's receive loop survived.");
        ServerCallbackFailures = meter.CreateCounter<long>("tailguard.r2p2.server.callback_failures", "{failure}", "Admission policies and event subscribers that threw; the server went on.");
        ServerLimitedResponses = meter.CreateCounter<long>("tailguard.r2p2.server.limited_responses", "{response}", "Responses not sent because of the response size or rate limits.");
        ServerUnauthenticated = meter.CreateCounter<long>("tailguard.r2p2.server.unauthenticated_datagrams", "{datagram}", "Authenticated mode: request packets without a valid tag of a known key.");
        ServerReplayed = meter.CreateCounter<long>("tailguard.r2p2.server.replayed_datagrams", "{datagram}", "Authenticated mode: request packets whose call nonce was taken before or is older than the key's replay window.");
        ReassemblyEvictions = meter.CreateCounter<long>("tailguard.r2p2.server.reassembly_evictions", "{request}", "Pending multi-packet requests discarded: expired, evicted by the count or byte bound, or inconsistent.");
        RouterRequests = meter.CreateCounter<long>("tailguard.r2p2.router.requests", "{request}", "Requests (first packets) a router received to place.");
        RouterForwarded = meter.CreateCounter<long>("tailguard.r2p2.router.forwarded", "{request}", "Requests a router forwarded to a server.");
        RouterDrops = meter.CreateCounter<long>("tailguard.r2p2.router.drops", "{request}", "Requests a router refused with DROP on the servers' behalf: queue full, queued too long, no server.");
        RouterFeedbacks = meter.CreateCounter<long>("tailguard.r2p2.router.feedbacks", "{message}", "FEEDBACK messages that returned a credit.");
        RouterIgnoredFeedbacks = meter.CreateCounter<long>("tailguard.r2p2.router.ignored_feedbacks", "{message}", "FEEDBACK messages ignored: from an address that is not a server, or for no request outstanding there.");
        RouterMalformed = meter.CreateCounter<long>("tailguard.r2p2.router.malformed_datagrams", "{datagram}", "Datagrams a router dropped: bad header, a type or policy it does not route, a continuation packet, an IPv6 source.");
        RouterReclaimedCredits = meter.CreateCounter<long>("tailguard.r2p2.router.reclaimed_credits", "{request}", "Credits a router took back without FEEDBACK: timed out, or their server left.");
        RouterEvictions = meter.CreateCounter<long>("tailguard.r2p2.router.evictions", "{server}", "Servers a router took out because they stopped sending FEEDBACK.");
        RouterEvictionsWithheld = meter.CreateCounter<long>("tailguard.r2p2.router.evictions_withheld", "{server}", "Silent servers a router did not evict because its FEEDBACK port dropped datagrams since their request left.");
        RouterFeedbackPortDrops = meter.CreateCounter<long>("tailguard.r2p2.router.feedback_port_drops", "{datagram}", "Datagrams a router's FEEDBACK port dropped because its receive queue was full.");
        RouterCallbackFailures = meter.CreateCounter<long>("tailguard.r2p2.router.callback_failures", "{failure}", "Event subscribers of a router that threw; the router went on.");
    }

    /// <summary>The process-wide fallback: a static meter, for clients and servers created without a meter factory.</summary>
    public static R2P2Instruments Shared { get; } = new(new Meter(TailGuardTelemetry.R2P2MeterName, TailGuardTelemetry.Version));

    public Meter Meter { get; }

    public Histogram<double> ClientCallDuration { get; }

    public Histogram<double> ServerRequestDuration { get; }

    public UpDownCounter<long> ClientActiveCalls { get; }

    public UpDownCounter<long> ServerActiveRequests { get; }

    public Counter<long> ClientRequests { get; }

    public Counter<long> ClientResponses { get; }

    public Counter<long> ClientTimeouts { get; }

    public Counter<long> ClientDrops { get; }

    public Counter<long> ClientMalformed { get; }

    public Counter<long> ServerRequests { get; }

    public Counter<long> ServerResponses { get; }

    public Counter<long> ServerDrops { get; }

    public Counter<long> ServerMalformed { get; }

    public Counter<long> ServerHandlerFailures { get; }

    public Counter<long> ServerExpiredResponses { get; }

    public Counter<long> ServerLateResponses { get; }

    public Counter<long> ReassemblyEvictions { get; }

    public Counter<long> ClientForged { get; }

    public Counter<long> ClientCallbackFailures { get; }

    public Counter<long> ServerCallbackFailures { get; }

    public Counter<long> ServerLimitedResponses { get; }

    public Counter<long> ServerUnauthenticated { get; }

    public Counter<long> ServerReplayed { get; }

    public Counter<long> RouterRequests { get; }

    public Counter<long> RouterForwarded { get; }

    public Counter<long> RouterDrops { get; }

    public Counter<long> RouterFeedbacks { get; }

    public Counter<long> RouterIgnoredFeedbacks { get; }

    public Counter<long> RouterMalformed { get; }

    public Counter<long> RouterReclaimedCredits { get; }

    public Counter<long> RouterEvictions { get; }

    public Counter<long> RouterCallbackFailures { get; }

    public Counter<long> RouterEvictionsWithheld { get; }

    public Counter<long> RouterFeedbackPortDrops { get; }

    /// <summary>The instruments on <paramref name="factory"/>'s meter (one set per factory), or the shared ones.</summary>
    public static R2P2Instruments For(IMeterFactory? factory)
        => factory is null
            ? Shared
            : ByFactory.GetValue(factory, static f => new R2P2Instruments(f.Create(new MeterOptions(TailGuardTelemetry.R2P2MeterName) { Version = TailGuardTelemetry.Version })));

    /// <summary>Seconds between two <see cref="Stopwatch"/> timestamps.</summary>
    public static double Seconds(long start, long end) => (end - start) / (double)Stopwatch.Frequency;
}
