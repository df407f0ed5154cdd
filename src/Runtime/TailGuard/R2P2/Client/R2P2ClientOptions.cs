using System;
using System.Diagnostics.Metrics;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>Settings of an <see cref="R2P2Client"/>.</summary>
public sealed class R2P2ClientOptions
{
    private int _payloadSize = Fragmenter.DefaultPayloadSize;

    /// <summary>The one timer of a call, covering the whole exchange (first packet, ACK, rest, whole response); at most <see cref="R2P2Limits.MaxTimeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Who may answer the calls (source binding, docs/security.md): <see cref="ResponseSources.Destination"/> (the
    /// default) when the destination is the server; <see cref="ResponseSources.Servers(System.Collections.Generic.IEnumerable{PacketAddress})"/>
    /// or <see cref="ResponseSources.AnyServer"/> behind a router.
    /// </summary>
    public ResponseSources ResponseSources { get; init; } = ResponseSources.Destination;

    /// <summary>
    /// How long after its deadline the rid of a call that ended without its response (timed out, cancelled, dropped,
    /// malformed) stays out of use, so a late response cannot complete another call. Null (the default) is three times
    /// <see cref="Timeout"/>; at most <see cref="R2P2Limits.MaxTimeout"/>.
    /// </summary>
    public TimeSpan? RequestIdQuarantine { get; init; }

    /// <summary>Where failures the client survives are reported after being counted (the logging seam); null counts them only.</summary>
    public IR2P2FailureLog? FailureLog { get; init; }

    /// <summary>Payload bytes per packet; 1464 (a 1500-byte MTU) is what interop uses. Where the route is known, the default is lowered to what it carries and another size it cannot carry is refused (docs/operations.md, "MTU and payload size").</summary>
    public int PayloadSize { get => _payloadSize; init => _payloadSize = value; }

    /// <summary>
    /// These settings with another payload size: the default payload size lowered to what the route carries
    /// (docs/operations.md, "MTU and payload size"); the caller's object is left as it was.
    /// </summary>
    internal R2P2ClientOptions WithPayloadSize(int payloadSize)
    {
        var copy = (R2P2ClientOptions)MemberwiseClone();
        copy._payloadSize = payloadSize;
        return copy;
    }

    /// <summary>The most calls in flight at once (at most 65536: rids are 16 bits and unique among calls in flight).</summary>
    public int MaxInFlight { get; init; } = 4096;

    /// <summary>The largest response accepted (at most <see cref="R2P2Limits.MaxMessageBytes"/>); a larger announced packet count fails the call as malformed.</summary>
    public int MaxResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// How the receive loop waits for datagrams: <see cref="ReceiveMode.Adaptive"/> (the default) spins for
    /// <see cref="SpinBudget"/> after each datagram, then blocks; docs/r2p2.md, "Receive modes", says when each mode wins.
    /// </summary>
    public ReceiveMode ReceiveMode { get; init; } = ReceiveMode.Adaptive;

    /// <summary>
    /// How long an adaptive receive loop keeps polling after its last datagram before it blocks (0 to 1 s; see
    /// <see cref="ReceiveLoopOptions.SpinBudget"/>).
    /// </summary>
    public TimeSpan SpinBudget { get; init; } = ReceiveLoopOptions.DefaultSpinBudget;

    /// <summary>How many datagrams one receive call may return.</summary>
    public int ReceiveBatchSize { get; init; } = 32;

    /// <summary>
    /// Whether awaiting code resumes on the thread pool (true, the safe default) or inline on the receive loop (false:
    /// lowest latency, but code after <c>await</c> then runs on the receive thread and must not block it).
    /// </summary>
    public bool RunContinuationsAsynchronously { get; init; } = true;

    /// <summary>Whether disposing the client disposes its transport.</summary>
    public bool OwnsTransport { get; init; } = true;

    /// <summary>
    /// Creates the "TailGuard.R2P2" meter the client's instruments live on (<c>TailGuard.Hosting</c> passes the host's);
    /// null uses a process-wide static meter of that name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>
    /// Turns on the authenticated mode (docs/security.md): every request packet carries this key's id, a per-call nonce
    /// and an AES-GCM tag, and only replies tagged by the key holder for that call are taken. Off (null) by default, so
    /// the wire stays the reference's. The server must hold the same key (<see cref="R2P2ServerOptions.AuthenticationKeys"/>).
    /// Each packet gives up <see cref="Security.AuthenticatedWire.RequestTrailerLength"/> payload bytes to the trailer.
    /// </summary>
    public Security.R2P2Key? AuthenticationKey { get; init; }

    /// <summary>Payload bytes per request packet: less the trailer in authenticated mode, so datagrams stay within the same MTU.</summary>
    internal int RequestPayloadSize => AuthenticationKey is null ? PayloadSize : PayloadSize - Security.AuthenticatedWire.RequestTrailerLength;

    /// <summary>Payload bytes per response packet the server sends (the same rule, with the reply trailer).</summary>
    internal int ResponsePayloadSize => AuthenticationKey is null ? PayloadSize : PayloadSize - Security.AuthenticatedWire.ReplyTrailerLength;

    /// <summary>The rid quarantine in effect.</summary>
    internal TimeSpan Quarantine => RequestIdQuarantine ?? (Timeout * 3 > R2P2Limits.MaxTimeout ? R2P2Limits.MaxTimeout : Timeout * 3);

    internal void Validate(PacketTransport transport)
    {
        if (Timeout <= TimeSpan.Zero || Timeout > R2P2Limits.MaxTimeout)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.Timeout: The call timeout must be positive and at most {R2P2Limits.MaxTimeout}.");
        }

        if (RequestIdQuarantine is { } quarantine && (quarantine <= TimeSpan.Zero || quarantine > R2P2Limits.MaxTimeout))
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.{nameof(RequestIdQuarantine)}: the quarantine must be positive and at most {R2P2Limits.MaxTimeout}.");
        }

        if (ResponseSources is null)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.{nameof(ResponseSources)} must be set (the default is {nameof(R2P2.ResponseSources.Destination)}).");
        }

        if (ResponsePayloadSize < Fragmenter.FirstRequestPacketPayload || PayloadSize + R2P2Header.Size > transport.MaxDatagramSize)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.PayloadSize: The payload size must be between {Fragmenter.FirstRequestPacketPayload} (plus {Security.AuthenticatedWire.ReplyTrailerLength} in authenticated mode) and the transport's datagram size minus the 8-byte header ({transport.MaxDatagramSize - R2P2Header.Size}).");
        }

        if (MaxInFlight is < 1 or > 65536)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.MaxInFlight: MaxInFlight must be between 1 and 65536.");
        }

        if (MaxResponseBytes is < 0 or > R2P2Limits.MaxMessageBytes)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.MaxResponseBytes: MaxResponseBytes must be between 0 and {R2P2Limits.MaxMessageBytes}.");
        }

        if (!Enum.IsDefined(ReceiveMode))
        {
            throw new ArgumentException($"R2P2ClientOptions.ReceiveMode: '{ReceiveMode}' is not a receive mode.");
        }

        if (SpinBudget < TimeSpan.Zero || SpinBudget > ReceiveLoopOptions.MaxSpinBudget)
        {
            throw new ArgumentException($"R2P2ClientOptions.SpinBudget: the spin budget must be between 0 and 1 s.");
        }

        if (ReceiveBatchSize is < 1 or > R2P2Limits.MaxReceiveBatch)
        {
            throw new ArgumentException($"{nameof(R2P2ClientOptions)}.ReceiveBatchSize: ReceiveBatchSize must be between 1 and {R2P2Limits.MaxReceiveBatch}.");
        }
    }
}
