using System;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.R2P2;

/// <summary>How a client's destination relates to the servers that answer it (<see cref="ResponseSources"/>).</summary>
public enum ResponseSourceKind
{
    /// <summary>The destination is the server: only it may answer.</summary>
    Destination,

    /// <summary>The destination is a router in front of a known set of servers: only one of them may answer.</summary>
    Servers,

    /// <summary>The destination is a router whose servers are not known: any address may answer a call until one does.</summary>
    AnyServer,
}

/// <summary>
/// Who may answer a client's calls (source binding; docs/security.md). A datagram from any other source is dropped and
/// counted (<see cref="R2P2ClientStatistics.ForgedDatagrams"/>) and the call goes on. In every kind, once a server
/// ACKs a multi-packet request or sends the first packet of a response, the rest of that call (the response, its
/// packets) must come from that same address.
/// </summary>
public sealed class ResponseSources
{
    private readonly HashSet<PacketAddress> _servers;

    private ResponseSources(ResponseSourceKind kind, HashSet<PacketAddress> servers)
    {
        Kind = kind;
        _servers = servers;
        KnownServers = [.. servers.OrderBy(static s => s.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>
    /// The default: the destination is the server. Responses, ACKs and DROPs are taken from the destination address only
    /// (and <see cref="R2P2Client.CreateUdp"/> connects its socket, so the kernel drops the rest before they are read).
    /// </summary>
    public static ResponseSources Destination { get; } = new(ResponseSourceKind.Destination, []);

    /// <summary>
    /// Behind a router whose servers are not known: the first ACK or response of a call may come from any address, and
    /// binds the call to it. Only as strong as the network's anti-spoofing (docs/security.md); prefer <see cref="Servers(IEnumerable{PacketAddress})"/>.
    /// </summary>
    public static ResponseSources AnyServer { get; } = new(ResponseSourceKind.AnyServer, []);

    /// <summary>The kind of binding.</summary>
    public ResponseSourceKind Kind { get; }

    /// <summary>The servers allowed to answer, for <see cref="ResponseSourceKind.Servers"/>; empty otherwise.</summary>
    public IReadOnlyList<PacketAddress> KnownServers { get; }

    /// <summary>
    /// Behind a router: the servers (address and port, as each answers from its listening socket) that may answer.
    /// The same list the router forwards to.
    /// </summary>
    /// <param name="servers">At least one server address.</param>
    /// <returns>The binding.</returns>
    /// <exception cref="ArgumentException">The list is empty, or has more than 65536 servers.</exception>
    public static ResponseSources Servers(IEnumerable<PacketAddress> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var set = new HashSet<PacketAddress>(servers);
        if (set.Count is 0 or > 65536)
        {
            throw new ArgumentException("A server set has between 1 and 65536 addresses.", nameof(servers));
        }

        return new ResponseSources(ResponseSourceKind.Servers, set);
    }

    /// <inheritdoc cref="Servers(IEnumerable{PacketAddress})"/>
    public static ResponseSources Servers(params PacketAddress[] servers) => Servers((IEnumerable<PacketAddress>)servers);

    /// <summary>Whether <paramref name="source"/> may answer a call sent to <paramref name="destination"/> that no server has answered yet.</summary>
    /// <param name="source">The datagram's source.</param>
    /// <param name="destination">Where the call's first packet went.</param>
    /// <returns>Whether the datagram may be taken.</returns>
    public bool Accepts(PacketAddress source, PacketAddress destination) => Kind switch
    {
        ResponseSourceKind.Destination => source == destination,
        ResponseSourceKind.Servers => _servers.Contains(source),
        _ => true,
    };

    /// <inheritdoc/>
    public override string ToString() => Kind == ResponseSourceKind.Servers ? $"Servers({string.Join(", ", KnownServers)})" : Kind.ToString();
}
