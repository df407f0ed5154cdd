using System;
using System.CommandLine;
using System.Globalization;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp;

namespace TailGuard.Tool.Cli;

/// <summary>
/// The value of <c>--xdp IFACE[:QUEUE]</c>: an interface and the receive queue to serve (0 when not given), and how the
/// tool turns it into transport settings. One spelling for serve and ping.
/// </summary>
internal sealed record XdpTarget(string Interface, int Queue)
{
    /// <summary>Linux interface names are at most 15 bytes (IFNAMSIZ less the terminator).</summary>
    private const int MaxInterfaceName = 15;

    public static Option<XdpTarget?> Option(string description)
        => ToolOptions.Reference("--xdp", description, "IFACE[:QUEUE]", Parse);

    public static Option<bool> FallbackOption() => new("--xdp-fallback")
    {
        Description = "Where AF_XDP is unavailable (no privilege, no kernel support, another XDP program), use kernel UDP sockets on the interface's address instead, and say so on standard error.",
    };

    public static (XdpTarget? Value, string? Error) Parse(string text)
    {
        var colon = text.LastIndexOf(':');
        var name = colon < 0 ? text : text[..colon];
        var queue = 0;
        if (colon >= 0 && !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out queue))
        {
            return (null, $"'{text}' is not IFACE[:QUEUE]: the queue must be a whole number (e.g. eth1:0)");
        }

        if (name.Length is 0 or > MaxInterfaceName || name.AsSpan().IndexOfAny("/: \t") >= 0 || name is "." or "..")
        {
            return (null, $"'{text}' is not IFACE[:QUEUE]: an interface name has 1 to {MaxInterfaceName} characters, none of them '/', ':' or blanks");
        }

        return (new XdpTarget(name, queue), null);
    }

    /// <summary>
    /// The transport settings for this target: the port of <paramref name="listen"/>, and its address when it names one
    /// (not the unspecified address); busy polling in the driver when the receive loops busy-poll.
    /// </summary>
    public XdpTransportOptions ToOptions(IPEndPoint? listen, ReceiveMode mode) => new()
    {
        Interface = Interface,
        Queue = Queue,
        Port = (ushort)(listen?.Port ?? 0),
        LocalAddress = listen is { } endPoint && !endPoint.Address.Equals(IPAddress.Any) && !endPoint.Address.Equals(IPAddress.IPv6Any) ? endPoint.Address : null,
        BusyPoll = mode == ReceiveMode.BusyPoll ? TimeSpan.FromMicroseconds(50) : TimeSpan.Zero,
    };

    public override string ToString() => $"{Interface}:{Queue}";
}
