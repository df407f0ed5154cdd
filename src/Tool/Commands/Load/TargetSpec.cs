using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Grpc.Core;
using TailGuard.Load;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;
using TailGuard.Tool.Grpc;

namespace TailGuard.Tool.Commands.Load;

/// <summary>
/// A load target as text: <c>r2p2://HOST:PORT</c> (raw R2P2 against an echo), <c>udp://HOST:PORT</c> (a plain UDP echo,
/// <c>tailguard serve --raw-udp</c>) or <c>grpc://HOST:PORT</c> (the gRPC baseline), with the request size and the R2P2 client's settings as query parameters
/// (<c>?size=64&amp;receive-mode=blocking&amp;kernel-timestamps=true</c>) so an agent builds exactly what its
/// coordinator describes.
/// </summary>
internal sealed record TargetSpec(string Scheme, IPEndPoint Server, int Size, ReceiveMode? Mode, bool KernelTimestamps)
{
    public const string R2P2 = "r2p2";

    /// <summary>
    /// <c>?router</c>: the target is an R2P2 router, so responses come from its servers (docs/router.md); the client takes
    /// the first answer of a call from any address (<see cref="ResponseSources.AnyServer"/>).
    /// </summary>
    public bool ViaRouter { get; init; }

    public const string Grpc = "grpc";

    public const string Udp = "udp";

    public static (TargetSpec? Value, string? Error) Parse(string text)
    {
        const string expected = "r2p2://HOST:PORT, udp://HOST:PORT or grpc://HOST:PORT";
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            return (null, $"'{text}' is not a target ({expected})");
        }

        var scheme = text[..separator].ToLowerInvariant();
        if (scheme != R2P2 && scheme != Grpc && scheme != Udp)
        {
            return (null, $"unknown target kind '{text[..separator]}' in '{text}' (known: {expected})");
        }

        var rest = text[(separator + 3)..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var (server, error) = Quantities.EndPoint(query < 0 ? rest : rest[..query], allowPortZero: false);
        if (error is not null)
        {
            return (null, error);
        }

        if (scheme != Grpc && server!.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            // TailGuard.Load's R2P2 and UDP connections are IPv4 (docs/load.md, "Current limits"): say so before any server is contacted.
            return (null, $"'{text}': {scheme} targets are IPv4 in this version of TailGuard");
        }

        var spec = new TargetSpec(scheme, server!, 64, null, true);
        if (query >= 0)
        {
            foreach (var pair in rest[(query + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                var key = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? string.Empty : pair[(equals + 1)..];
                switch (key)
                {
                    case "size":
                        var (size, sizeError) = Quantities.Size(value, 1024 * 1024);
                        if (sizeError is not null)
                        {
                            return (null, sizeError);
                        }

                        spec = spec with { Size = size!.Value };
                        break;
                    case "receive-mode":
                        var mode = Enum.GetValues<ReceiveMode>().Where(m => ReceiveModes.Kebab(m) == value).Select(m => (ReceiveMode?)m).FirstOrDefault();
                        if (mode is null)
                        {
                            return (null, $"'{value}' is not a receive mode");
                        }

                        spec = spec with { Mode = mode };
                        break;
                    case "kernel-timestamps":
                        spec = spec with { KernelTimestamps = value != "false" };
                        break;
                    case "router" when scheme == R2P2:
                        spec = spec with { ViaRouter = value != "false" };
                        break;
                    default:
                        return (null, $"unknown target parameter '{key}' in '{text}'");
                }
            }
        }

        return (spec, null);
    }

    /// <summary>The target's description with its parameters, as an agent receives it.</summary>
    public override string ToString()
    {
        var parameters = new List<string> { "size=" + Size.ToString(CultureInfo.InvariantCulture) };
        if (Mode is { } mode)
        {
            parameters.Add("receive-mode=" + ReceiveModes.Kebab(mode));
        }

        if (!KernelTimestamps)
        {
            parameters.Add("kernel-timestamps=false");
        }

        if (ViaRouter)
        {
            parameters.Add("router=true");
        }

        return $"{Scheme}://{Server}?{string.Join('&', parameters)}";
    }

    public LoadTarget Create()
    {
        if (Scheme == Grpc)
        {
            return new GrpcEchoTarget(Server, Size);
        }

        try
        {
            var options = new R2P2TargetOptions
            {
                ReceiveMode = Mode ?? new R2P2ClientOptions().ReceiveMode,
                KernelTimestamps = KernelTimestamps,
                ResponseSources = ViaRouter ? ResponseSources.AnyServer : ResponseSources.Destination,
            };
            if (Scheme == Udp)
            {
                return Size < UdpEchoTarget.MinimumSize
                    ? throw new ToolException($"{Scheme}://{Server}: a plain UDP request is at least {UdpEchoTarget.MinimumSize} bytes (--size {Size})")
                    : new UdpEchoTarget(Server, Size, options);
            }

            return new R2P2EchoTarget(Server, Size, options);
        }
        catch (ArgumentException error)
        {
            throw new ToolException($"{Scheme}://{Server}: {error.Message}", error);
        }
    }

    /// <summary>Fails with a one-line error when nobody answers at the target: a few calls with a short timeout.</summary>
    public async Task ProbeAsync(LoadTarget target, CancellationToken cancellationToken)
    {
        var name = $"{Scheme}://{Server}";
        if (target is GrpcEchoTarget grpc)
        {
            try
            {
                await grpc.ProbeAsync(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException error)
            {
                throw new ToolException($"cannot reach {name}: {error.Status.StatusCode} ({error.Status.Detail}); is `tailguard serve --grpc` running there?", error);
            }

            return;
        }

        if (Scheme == Udp)
        {
            await ProbeUdpAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using var client = R2P2Client.CreateUdp(Server, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(1), ReceiveMode = ReceiveMode.Blocking, ResponseSources = ViaRouter ? ResponseSources.AnyServer : ResponseSources.Destination });
        var payload = new byte[Size];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var response = await client.CallAsync(payload, RoutingPolicy.LoadBalanced, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (R2P2DroppedException)
            {
                return; // a server that refuses is there
            }
            catch (R2P2TimeoutException)
            {
            }
        }

        throw new ToolException($"no response from {name} (3 probes of 1 s timed out): is `tailguard serve` running there?");
    }

    /// <summary>A plain UDP echo is there when one of three datagrams comes back within a second.</summary>
    private async Task ProbeUdpAsync(string name, CancellationToken cancellationToken)
    {
        using var socket = new System.Net.Sockets.UdpClient(Server.AddressFamily);
        socket.Connect(Server);
        var probe = new byte[Math.Max(Size, UdpEchoTarget.MinimumSize)];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                await socket.SendAsync(probe, cancellationToken).ConfigureAwait(false);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(TimeSpan.FromSeconds(1));
                await socket.ReceiveAsync(wait.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (System.Net.Sockets.SocketException)
            {
                // ICMP port unreachable on a connected socket: nobody listens; try again, then fail below.
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new ToolException($"no response from {name} (3 probes of 1 s timed out): is `tailguard serve --raw-udp` running there?");
    }
}
