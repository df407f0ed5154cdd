using System;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Ping;

/// <summary>What one ping does: where, how many calls (after how many warm-up calls), how large, how it waits, and over AF_XDP or kernel UDP.</summary>
internal sealed record PingSettings(IPEndPoint Server, int Count, int WarmUp, int Size, ReceiveMode Mode, TimeSpan Timeout, bool Verify, XdpTarget? Xdp = null, bool XdpFallback = false)
{
    /// <summary>A ping gives up after this many timeouts in a row: nobody is answering.</summary>
    public const int TimeoutsInARow = 3;

    /// <summary>The server is an R2P2 router: its servers answer directly, so any address may answer a call first (docs/router.md).</summary>
    public bool ViaRouter { get; init; }

    public string NoResponse => $"no response from {Server} after {TimeoutsInARow} consecutive timeouts ({Timeout.TotalMilliseconds:0} ms each): is a server running there?";
}
