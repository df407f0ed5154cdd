using System;
using Microsoft.Extensions.Logging;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>
/// Every message TailGuard.Hosting logs, through the LoggerMessage source generator (no boxing, no formatting unless
/// the level is on). They mark what an operator acts on: a server or domain starting and stopping, where a server
/// listens, failures the core survived (<see cref="R2P2FailureLogger"/>: rate-limited, as a remote client can cause
/// one per request), refusals above a rate, a domain revoked. Nothing is logged per packet or per request. Event ids are stable: 1xxx servers, 2xxx clients, 3xxx trust domains (docs/hosting.md, "Logging").
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "R2P2 server {Server} serving {Service} on {Address} with {ReceiveLoops} receive loop(s)")]
    public static partial void ServerStarted(ILogger logger, string server, string service, string address, int receiveLoops);

    [LoggerMessage(1001, LogLevel.Information, "R2P2 server {Server} draining: new requests are refused with DROP, admitted ones have {DrainTimeout} to finish")]
    public static partial void ServerDraining(ILogger logger, string server, TimeSpan drainTimeout);

    [LoggerMessage(1002, LogLevel.Information, "R2P2 server {Server} drained: every admitted request finished")]
    public static partial void ServerDrained(ILogger logger, string server);

    [LoggerMessage(1003, LogLevel.Warning, "R2P2 server {Server} closed before its admitted requests finished ({PendingResponses} deferred response(s), {PendingReassemblies} reassembly(ies) left): the drain deadline or the host's shutdown timeout came first")]
    public static partial void ServerDrainIncomplete(ILogger logger, string server, int pendingResponses, int pendingReassemblies);

    [LoggerMessage(1004, LogLevel.Information, "R2P2 server {Server} stopped after {Requests} request(s), {Responses} response(s), {Drops} refusal(s)")]
    public static partial void ServerStopped(ILogger logger, string server, long requests, long responses, long drops);

    [LoggerMessage(1005, LogLevel.Error, "R2P2 server {Server}: a handler threw; the client got an error response (HandlerFailed)")]
    public static partial void HandlerFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(1006, LogLevel.Error, "R2P2 server {Server}: processing a datagram failed; the receive loop keeps serving")]
    public static partial void ServerReceiveLoopFault(ILogger logger, string server, Exception exception);

    [LoggerMessage(1007, LogLevel.Warning, "R2P2 server {Server} refused {Drops} request(s) with DROP in the last {Seconds:F1} s ({Rate:F0}/s, above {Threshold}/s): it is overloaded or draining")]
    public static partial void DropsAboveRate(ILogger logger, string server, long drops, double seconds, double rate, double threshold);

    // The reason only: a start fails on settings or the environment, and the exception reaches the host's caller anyway.
    [LoggerMessage(1008, LogLevel.Critical, "R2P2 server {Server} could not start: {Reason}")]
    public static partial void ServerStartFailed(ILogger logger, string server, string reason);

    [LoggerMessage(1009, LogLevel.Error, "R2P2 server {Server}: {Failure} code threw; the server went on")]
    public static partial void ServerCallbackFailed(ILogger logger, string server, R2P2Failure failure, Exception exception);

    [LoggerMessage(1010, LogLevel.Warning, "R2P2 server {Server}: {Suppressed} more {Failure} failure(s) in the last {Seconds:F1} s were not logged (at most {Limit} per interval)")]
    public static partial void ServerFailuresSuppressed(ILogger logger, string server, long suppressed, R2P2Failure failure, double seconds, int limit);

    [LoggerMessage(2000, LogLevel.Information, "R2P2 client {Client} sending to {Destination} from {Local}")]
    public static partial void ClientCreated(ILogger logger, string client, string destination, string local);

    [LoggerMessage(2001, LogLevel.Error, "R2P2 client {Client}: processing a datagram failed; the receive loop keeps serving")]
    public static partial void ClientReceiveLoopFault(ILogger logger, string client, Exception exception);

    [LoggerMessage(2002, LogLevel.Error, "R2P2 client {Client}: {Failure} code threw; the client went on")]
    public static partial void ClientCallbackFailed(ILogger logger, string client, R2P2Failure failure, Exception exception);

    [LoggerMessage(2003, LogLevel.Warning, "R2P2 client {Client}: {Suppressed} more {Failure} failure(s) in the last {Seconds:F1} s were not logged (at most {Limit} per interval)")]
    public static partial void ClientFailuresSuppressed(ILogger logger, string client, long suppressed, R2P2Failure failure, double seconds, int limit);

    [LoggerMessage(3000, LogLevel.Information, "Trust domain {Domain} sealed on the {Backend} backend, core {Core}, measurement {Measurement}")]
    public static partial void DomainCreated(ILogger logger, string domain, string backend, int core, string measurement);

    [LoggerMessage(3001, LogLevel.Information, "Trust domain {Domain} revoked: its memory is zeroed and its proxy refuses further calls")]
    public static partial void DomainRevoked(ILogger logger, string domain);

    [LoggerMessage(3002, LogLevel.Critical, "Trust domain {Domain} could not be created: {Reason}")]
    public static partial void DomainStartFailed(ILogger logger, string domain, string reason);
}
