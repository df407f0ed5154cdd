using System.Diagnostics.Metrics;

namespace TailGuard.R2P2;

/// <summary>
/// The "TailGuard.R2P2" meter: process-wide counters that dotnet-counters and OpenTelemetry read. Each client, server and
/// router also keeps its own counts (<see cref="R2P2ClientStatistics"/>, <see cref="R2P2ServerStatistics"/>,
/// <see cref="Routing.R2P2RouterStatistics"/>).
/// </summary>
internal static class R2P2Metrics
{
    public const string MeterName = "TailGuard.R2P2";

    private static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> ClientRequests = Meter.CreateCounter<long>("tailguard.r2p2.client.requests", "{request}", "Calls started by R2P2 clients.");
    public static readonly Counter<long> ClientResponses = Meter.CreateCounter<long>("tailguard.r2p2.client.responses", "{response}", "Calls that ended with a whole response.");
    public static readonly Counter<long> ClientTimeouts = Meter.CreateCounter<long>("tailguard.r2p2.client.timeouts", "{request}", "Calls whose timer fired.");
    public static readonly Counter<long> ClientDrops = Meter.CreateCounter<long>("tailguard.r2p2.client.drops", "{request}", "Calls the server refused with DROP.");
    public static readonly Counter<long> ClientMalformed = Meter.CreateCounter<long>("tailguard.r2p2.client.malformed_datagrams", "{datagram}", "Datagrams a client dropped: bad header, unknown rid, or a response that failed its call.");
    public static readonly Counter<long> ClientForged = Meter.CreateCounter<long>("tailguard.r2p2.client.forged_datagrams", "{datagram}", "Datagrams for a call in flight from a source that may not answer it, or with a tag that did not verify.");
    public static readonly Counter<long> ClientCallbackFailures = Meter.CreateCounter<long>("tailguard.r2p2.client.callback_failures", "{failure}", "Inline continuations that threw, and defects a client's receive loop survived.");
    public static readonly Counter<long> ServerRequests = Meter.CreateCounter<long>("tailguard.r2p2.server.requests", "{request}", "Complete requests handed to handlers.");
    public static readonly Counter<long> ServerResponses = Meter.CreateCounter<long>("tailguard.r2p2.server.responses", "{response}", "Responses sent.");
    public static readonly Counter<long> ServerDrops = Meter.CreateCounter<long>("tailguard.r2p2.server.drops", "{request}", "Requests refused with DROP by the admission policy.");
    public static readonly Counter<long> ServerMalformed = Meter.CreateCounter<long>("tailguard.r2p2.server.malformed_datagrams", "{datagram}", "Datagrams a server dropped: bad header, unserved type or policy, orphan or inconsistent packets.");
    public static readonly Counter<long> ServerExpiredResponses = Meter.CreateCounter<long>("tailguard.r2p2.server.expired_responses", "{response}", "Deferred responses released unanswered at their deadline.");
    public static readonly Counter<long> ServerLateResponses = Meter.CreateCounter<long>("tailguard.r2p2.server.late_responses", "{response}", "Answers to deferred requests ignored: second, after the deadline, or after the server stopped.");
    public static readonly Counter<long> ServerCallbackFailures = Meter.CreateCounter<long>("tailguard.r2p2.server.callback_failures", "{failure}", "Admission policies and event subscribers that threw; the server went on.");
    public static readonly Counter<long> ServerLimitedResponses = Meter.CreateCounter<long>("tailguard.r2p2.server.limited_responses", "{response}", "Responses not sent because of the response size or rate limits.");
    public static readonly Counter<long> ServerUnauthenticated = Meter.CreateCounter<long>("tailguard.r2p2.server.unauthenticated_datagrams", "{datagram}", "Authenticated mode: request packets without a valid tag of a known key.");
    public static readonly Counter<long> ReassemblyEvictions = Meter.CreateCounter<long>("tailguard.r2p2.server.reassembly_evictions", "{request}", "Pending multi-packet requests discarded: expired, evicted by the count or byte bound, or inconsistent.");
    public static readonly Counter<long> RouterRequests = Meter.CreateCounter<long>("tailguard.r2p2.router.requests", "{request}", "Requests (first packets) a router received to place.");
    public static readonly Counter<long> RouterForwarded = Meter.CreateCounter<long>("tailguard.r2p2.router.forwarded", "{request}", "Requests a router forwarded to a server.");
    public static readonly Counter<long> RouterDrops = Meter.CreateCounter<long>("tailguard.r2p2.router.drops", "{request}", "Requests a router refused with DROP on the servers' behalf: queue full, queued too long, no server.");
    public static readonly Counter<long> RouterFeedbacks = Meter.CreateCounter<long>("tailguard.r2p2.router.feedbacks", "{message}", "FEEDBACK messages that returned a credit.");
    public static readonly Counter<long> RouterIgnoredFeedbacks = Meter.CreateCounter<long>("tailguard.r2p2.router.ignored_feedbacks", "{message}", "FEEDBACK messages ignored: from an address that is not a server, or for no request outstanding there.");
    public static readonly Counter<long> RouterMalformed = Meter.CreateCounter<long>("tailguard.r2p2.router.malformed_datagrams", "{datagram}", "Datagrams a router dropped: bad header, a type or policy it does not route, a continuation packet, an IPv6 source.");
    public static readonly Counter<long> RouterReclaimedCredits = Meter.CreateCounter<long>("tailguard.r2p2.router.reclaimed_credits", "{request}", "Credits a router took back without FEEDBACK: timed out, or their server left.");
    public static readonly Counter<long> RouterEvictions = Meter.CreateCounter<long>("tailguard.r2p2.router.evictions", "{server}", "Servers a router took out because they stopped sending FEEDBACK.");
}
