using System;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// <c>tailguard serve</c>: an R2P2 echo server, or a plain UDP echo (<c>--raw-udp</c>), or the gRPC baseline
/// (<c>--grpc</c>), until Ctrl+C, SIGTERM or <c>--duration</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var listen = ToolOptions.EndPoint("--listen", "Where to listen (port 0 picks a free one, printed at start). [default: 127.0.0.1:9000]", allowPortZero: true);
        var rawUdp = new Option<bool>("--raw-udp") { Description = "A plain UDP echo instead of R2P2 (the machine's limit, for comparison)." };
        var grpc = new Option<bool>("--grpc") { Description = "The gRPC unary echo baseline (HTTP/2 without TLS) instead of R2P2." };
        var router = ToolOptions.EndPoint("--router", "Send one FEEDBACK per response to this router (R2P2 only).");
        var maxInFlight = ToolOptions.Count("--max-in-flight", "Admit at most N requests at once, answer DROP beyond (0 refuses every request; R2P2 only).", -1, 0, int.MaxValue, "no limit");
        var loops = ToolOptions.Count("--loops", "Receive loops, one SO_REUSEPORT socket each (Linux; R2P2 only); with --xdp, one AF_XDP socket each on consecutive queues.", 1, 1, 64);
        var xdp = XdpTarget.Option("Serve R2P2 over AF_XDP on this interface and receive queue (root; docs/xdp.md); --listen gives the port, and the address when it names one.");
        var xdpFallback = XdpTarget.FallbackOption();
        var duration = ToolOptions.Duration("--duration", "Stop by itself after this long (0: until Ctrl+C or SIGTERM).", TimeSpan.Zero);
        var modes = ReceiveModes.Create();

        var command = new Command("serve", "Run an echo server: R2P2 (default), plain UDP or gRPC.");
        command.Options.Add(listen);
        command.Options.Add(rawUdp);
        command.Options.Add(grpc);
        command.Options.Add(router);
        command.Options.Add(maxInFlight.Option);
        command.Options.Add(loops.Option);
        command.Options.Add(xdp);
        command.Options.Add(xdpFallback);
        command.Options.Add(duration.Option);
        modes.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var endPoint = parse.GetValue(listen) ?? new IPEndPoint(IPAddress.Loopback, 9000);
            var raw = parse.GetValue(rawUdp);
            var http = parse.GetValue(grpc);
            if (raw && http)
            {
                throw ToolException.Usage("--raw-udp and --grpc cannot be used together.");
            }

            if ((raw || http) && (parse.GetResult(router) is { Implicit: false } || maxInFlight.IsGiven(parse) || loops.IsGiven(parse) || parse.GetValue(xdp) is not null))
            {
                throw ToolException.Usage("--router, --max-in-flight, --loops and --xdp apply to the R2P2 server only.");
            }

            if (parse.GetValue(xdpFallback) && parse.GetValue(xdp) is null)
            {
                throw ToolException.Usage("--xdp-fallback needs --xdp.");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (duration.Get(parse) is var limit && limit > TimeSpan.Zero)
            {
                stop.CancelAfter(limit);
            }

            if (http)
            {
                await using var server = await GrpcEchoServer.StartAsync(endPoint, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"gRPC echo on {server.Address} (HTTP/2 without TLS); Ctrl+C or SIGTERM stops");
                await Wait(stop.Token).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var mode = modes.Resolve(parse, new R2P2ServerOptions().ReceiveMode);
            if (raw)
            {
                using var transport = Bind(endPoint, () => UdpTransport.Bind(endPoint));
                output.WriteLine($"plain UDP echo on {transport.LocalAddress} ({ReceiveModes.Kebab(mode)}); Ctrl+C or SIGTERM stops");
                await Task.Run(() => RawUdpEcho.Serve(transport, mode == ReceiveMode.BusyPoll, stop.Token), CancellationToken.None).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var feedback = parse.GetValue(router);
            var admit = maxInFlight.Get(parse);
            var options = new R2P2ServerOptions
            {
                ReceiveMode = mode,
                RouterAddress = feedback is null ? null : PacketAddress.FromEndPoint(feedback),
                AdmissionPolicy = admit >= 0 ? new MaxInFlightAdmissionPolicy(admit) : null,
            };
            using var r2p2 = parse.GetValue(xdp) is { } target
                ? XdpServe(target, parse.GetValue(listen), mode, options, loops.Get(parse), parse.GetValue(xdpFallback), new LineLogger(output, parse.InvocationConfiguration.Error))
                : Bind(endPoint, () => R2P2Server.CreateUdp(endPoint, new EchoHandler(), options, loops.Get(parse)));
            output.WriteLine($"R2P2 echo on {r2p2.LocalAddress} ({ReceiveModes.Kebab(mode)}{(feedback is null ? string.Empty : $", FEEDBACK to {feedback}")}); Ctrl+C or SIGTERM stops");
            await Wait(stop.Token).ConfigureAwait(false);
            var stats = r2p2.Statistics;
            output.WriteLine($"served {stats.Responses} responses, {stats.Drops} drops, {stats.MalformedDatagrams} malformed datagrams");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The R2P2 echo over AF_XDP (the factory logs the interface, queues, attach and bind modes, or the fallback).</summary>
    private static R2P2Server XdpServe(XdpTarget target, IPEndPoint? listen, ReceiveMode mode, R2P2ServerOptions options, int queues, bool fallback, LineLogger logger)
    {
        try
        {
            return R2P2Server.CreateXdp(target.ToOptions(listen ?? new IPEndPoint(IPAddress.Any, 9000), mode), new EchoHandler(), options, queues, fallback ? XdpFallback.UdpSockets : XdpFallback.None, logger);
        }
        catch (XdpException error)
        {
            throw new ToolException($"cannot serve over AF_XDP on {target}: {error.Message}", error);
        }
    }

    private static T Bind<T>(IPEndPoint endPoint, Func<T> bind)
    {
        try
        {
            return bind();
        }
        catch (SocketException error)
        {
            throw SocketErrors.Listen(endPoint, error);
        }
    }

    private static async Task Wait(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C, SIGTERM or --duration: a normal stop.
        }
    }
}
