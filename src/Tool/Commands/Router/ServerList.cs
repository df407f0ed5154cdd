using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Router;

/// <summary>
/// The servers of <c>tailguard router</c>: <c>HOST:PORT</c>, or <c>HOST:FIRST-LAST</c> for the k workers of
/// <c>tailguard serve --workers k</c> (one member per port), given with <c>--server</c> or one per line in a servers file
/// (<c>#</c> starts a comment). IPv4 or IPv6 (<c>[::1]:9100</c>), of the router's family (either for a router on <c>[::]</c>); the same server twice is an error.
/// </summary>
internal static class ServerList
{
    private const string Syntax = "HOST:PORT or HOST:FIRST-LAST, such as 10.0.0.2:9100 or 10.0.0.2:9100-9107";

    /// <summary>One entry: a server, or a run of worker ports.</summary>
    public static (IReadOnlyList<PacketAddress>? Value, string? Error) Entry(string text)
    {
        var colon = text.LastIndexOf(':');
        var dash = colon < 0 ? -1 : text.IndexOf('-', colon);
        if (dash < 0)
        {
            var (endPoint, error) = Quantities.EndPoint(text, allowPortZero: false);
            return error is not null ? (null, error) : Checked(endPoint!, 1, text);
        }

        var (first, firstError) = Quantities.EndPoint(text[..dash], allowPortZero: false);
        if (firstError is not null)
        {
            return (null, $"'{text}' is not {Syntax}");
        }

        if (!ushort.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < first!.Port || last - first.Port >= 1024)
        {
            return (null, $"'{text}': the last port must be at least the first and at most 1023 after it ({Syntax})");
        }

        return Checked(first, last - first.Port + 1, text);
    }

    /// <summary>Every entry, in order; an error names the first bad or repeated one.</summary>
    public static (IReadOnlyList<PacketAddress>? Value, string? Error) Entries(IEnumerable<string> texts, string source)
    {
        var servers = new List<PacketAddress>();
        var seen = new HashSet<PacketAddress>();
        foreach (var text in texts)
        {
            var (entry, error) = Entry(text);
            if (error is not null)
            {
                return (null, $"{source}: {error}");
            }

            foreach (var server in entry!)
            {
                if (!seen.Add(server))
                {
                    return (null, $"{source}: the server {server} is given twice");
                }

                servers.Add(server);
            }
        }

        return (servers, null);
    }

    /// <summary>The servers listed in a file: one entry per line, blank lines and <c>#</c> comments ignored.</summary>
    public static (IReadOnlyList<PacketAddress>? Value, string? Error) File(string path)
    {
        string[] lines;
        try
        {
            lines = System.IO.File.ReadAllLines(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return (null, $"cannot read the servers file {path}: {error.Message}");
        }

        var entries = new List<string>();
        foreach (var line in lines)
        {
            var text = (line.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? line[..hash] : line).Trim();
            if (text.Length > 0)
            {
                entries.Add(text);
            }
        }

        return Entries(entries, path);
    }

    private static (IReadOnlyList<PacketAddress>? Value, string? Error) Checked(IPEndPoint first, int count, string text)
    {
        if (first.Address.Equals(IPAddress.Any) || first.Address.Equals(IPAddress.IPv6Any) || first.Address.Equals(IPAddress.Broadcast))
        {
            return (null, $"'{text}' is not a server's address (a router needs the address its FEEDBACK comes from)");
        }

        if (first.Port + count - 1 > IPEndPoint.MaxPort)
        {
            return (null, $"'{text}' runs past port {IPEndPoint.MaxPort}");
        }

        var servers = new PacketAddress[count];
        var address = PacketAddress.FromEndPoint(first);
        for (var i = 0; i < count; i++)
        {
            servers[i] = address.WithPort((ushort)(first.Port + i));
        }

        return (servers, null);
    }
}
