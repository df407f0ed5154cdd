using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Load;

/// <summary>
/// A plain UDP echo (such as <c>tailguard serve --raw-udp</c>): the machine's limit, driven by the same open-loop
/// sender, sockets, receive modes and timestamps as an <see cref="R2P2EchoTarget"/>, so the two compare in one run
/// (docs/load.md, "Comparing with plain UDP"). Each request is one datagram that names its request slot and send, so
/// a response is matched to its request without any protocol: <see cref="LoadOutcome.Ok"/> when it comes back whole,
/// <see cref="LoadOutcome.WrongResponse"/> when its length differs, <see cref="LoadOutcome.Timeout"/> when it does
/// not come back in time (UDP does not say a datagram was lost).
/// </summary>
public sealed class UdpEchoTarget : LoadTarget
{
    /// <summary>The smallest request: the send's number (4 bytes) and its slot (2 bytes, where R2P2 has its request id), padded to 8.</summary>
    public const int MinimumSize = 8;

    /// <summary>The largest request, one IPv4 UDP datagram.</summary>
    public const int MaximumSize = 65507;

    private readonly IPEndPoint _server;
    private readonly byte[] _filler;
    private readonly R2P2TargetOptions _options;

    /// <summary>Targets a plain UDP echo with requests of <paramref name="size"/> bytes.</summary>
    /// <param name="server">The echo (IPv4).</param>
    /// <param name="size">The datagram size, from <see cref="MinimumSize"/> to <see cref="MaximumSize"/>.</param>
    /// <param name="options">Sockets, receive mode and timestamps, as for R2P2 (the R2P2-only settings are ignored); defaults when null.</param>
    public UdpEchoTarget(IPEndPoint server, int size = 64, R2P2TargetOptions? options = null)
    {
        R2P2TargetOptions.CheckEndPoint(server);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinimumSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaximumSize);
        _server = server;
        _filler = new byte[size];
        Random.Shared.NextBytes(_filler);
        _options = options ?? new R2P2TargetOptions();
    }

    /// <inheritdoc/>
    public override string Name => $"udp://{_server}";

    /// <summary>The datagram size.</summary>
    public int Size => _filler.Length;

    /// <inheritdoc/>
    public override ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.MaxInFlight > Udp.UdpEchoConnection.MaxSlots)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.MaxInFlight, $"A UDP echo connection has at most {Udp.UdpEchoConnection.MaxSlots} requests in flight.");
        }

        return ValueTask.FromResult<LoadConnection>(Udp.UdpEchoConnection.Open(_server, settings, _options, _filler));
    }
}
