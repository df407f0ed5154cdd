using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Transport.Xdp;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// <c>tailguard serve</c>: an R2P2 echo server, or a plain UDP echo (<c>--raw-udp</c>), or the gRPC baseline
/// (<c>--grpc</c>), until Ctrl+C, SIGTERM or <c>--duration</c>. The R2P2 echo may spend a synthetic service time first
/// (<c>--service-time</c>) and run k single-request workers on consecutive ports (<c>--workers</c>), the server model of
/// the router experiments (docs/router.md).
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
        var workers = ToolOptions.Count("--workers", "k single-request workers, each with its own socket on consecutive ports from --listen's (port 0 picks a free run), so a router sees k queues (R2P2 only; not with --loops).", 1, 1, 1024);
        var serviceTime = ToolOptions.Reference("--service-time", "Spend a synthetic service time before each echo: fixed:T, exp:MEAN or bimodal:P%:A:B, such as exp:1ms or bimodal:90%:500us:5ms (R2P2 only).", "DIST", ServiceTime.Parse);
        var serviceMode = ToolOptions.Choice("--service-mode", "How --service-time is spent: wait (a timed sleep that wakes early by the measured wake-up latency, so the mean hold is exact; the core stays free, each hold is off by tens of us) or spin (burns the core, as real work does).", ServiceTimeMode.Wait, ServiceModes);
        var answer = ToolOptions.Choice("--answer", "How the R2P2 echo answers: immediate (the handler writes the response) or deferred (through an R2P2ResponseHandle, at once; to measure that path's cost).", AnswerMode.Immediate, new Dictionary<string, AnswerMode>(StringComparer.Ordinal) { ["immediate"] = AnswerMode.Immediate, ["deferred"] = AnswerMode.Deferred });
        var seed = ToolOptions.Count("--seed", "Seeds the service-time draws, so a run repeats.", 1, 0, int.MaxValue);
        var modes = ReceiveModes.Create();
        var spinBudget = ToolOptions.Duration("--spin-budget", "With --receive-mode adaptive: how long a receive loop spins after each datagram before it blocks (0 to 1s; 0 blocks at once). On a machine shared with a load generator, a shorter spin leaves it its core.", ReceiveLoopOptions.DefaultSpinBudget);

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
        command.Options.Add(workers.Option);
        command.Options.Add(serviceTime);
        command.Options.Add(serviceMode.Option);
        command.Options.Add(seed.Option);
        command.Options.Add(answer.Option);
        modes.AddTo(command);
        command.Options.Add(spinBudget.Option);

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

            if ((raw || http) && (parse.GetResult(router) is { Implicit: false } || answer.IsGiven(parse) || maxInFlight.IsGiven(parse) || loops.IsGiven(parse) || workers.IsGiven(parse) || parse.GetResult(serviceTime) is { Implicit: false } || parse.GetValue(xdp) is not null))
            {
                throw ToolException.Usage("--router, --answer, --max-in-flight, --loops, --workers, --service-time and --xdp apply to the R2P2 server only.");
            }

            if (parse.GetValue(xdpFallback) && parse.GetValue(xdp) is null)
            {
                throw ToolException.Usage("--xdp-fallback needs --xdp.");
            }

            var time = parse.GetValue(serviceTime);
            if (time is null && (serviceMode.IsGiven(parse) || seed.IsGiven(parse)))
            {
                throw ToolException.Usage("--service-mode and --seed go with --service-time.");
            }

            var workerCount = workers.Get(parse);
            if (workerCount > 1 && (loops.IsGiven(parse) || parse.GetValue(xdp) is not null))
            {
                throw ToolException.Usage($"--workers and {(loops.IsGiven(parse) ? "--loops" : "--xdp")} cannot be used together: workers have a UDP port each, loops share one.");
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
            var budget = spinBudget.Get(parse);
            if (budget > ReceiveLoopOptions.MaxSpinBudget)
            {
                throw ToolException.Usage("--spin-budget must be at most 1s.");
            }

            if (spinBudget.IsGiven(parse) && mode != ReceiveMode.Adaptive)
            {
                throw ToolException.Usage($"--spin-budget applies to --receive-mode adaptive only (not {ReceiveModes.Kebab(mode)}).");
            }
            if (raw)
            {
                using var transport = Bind(endPoint, () => UdpTransport.Bind(endPoint));
                output.WriteLine($"plain UDP echo on {transport.LocalAddress} ({ReceiveModes.Kebab(mode)}); Ctrl+C or SIGTERM stops");
                await Task.Run(() => RawUdpEcho.Serve(transport, mode, budget, stop.Token), CancellationToken.None).ConfigureAwait(false);
                return ExitCodes.Ok;
            }

            var feedback = parse.GetValue(router);
            var admit = maxInFlight.Get(parse);
            var options = new R2P2ServerOptions
            {
                ReceiveMode = mode,
                SpinBudget = budget,
                RouterAddress = feedback is null ? null : PacketAddress.FromEndPoint(feedback),
                AdmissionPolicy = admit >= 0 ? new MaxInFlightAdmissionPolicy(admit) : null,
            };
            using var synthetic = time is null ? null : new SyntheticServiceHandler(time, serviceMode.Get(parse), seed.Get(parse));
            var deferred = answer.Get(parse) == AnswerMode.Deferred;
            if (deferred && synthetic is not null)
            {
                throw ToolException.Usage("--answer deferred and --service-time cannot be used together.");
            }

            IR2P2Handler handler = synthetic is not null ? synthetic : deferred ? new DeferredEchoHandler() : new EchoHandler();
            using var r2p2 = parse.GetValue(xdp) is { } target
                ? XdpServe(target, parse.GetValue(listen), mode, handler, options, loops.Get(parse), parse.GetValue(xdpFallback), new LineLogger(output, parse.InvocationConfiguration.Error))
                : workerCount > 1
                    ? BindWorkers(endPoint, workerCount, () => R2P2Workers.CreateUdp(endPoint, workerCount, handler, options))
                    : Bind(endPoint, () => R2P2Server.CreateUdp(endPoint, handler, options, loops.Get(parse)));
            var details = ReceiveModes.Kebab(mode)
                + (workerCount > 1 ? $", {workerCount} workers on {WorkerRange(r2p2)}" : string.Empty)
                + (deferred ? ", deferred answers" : string.Empty)
                + (time is null ? string.Empty : $", service time {time} ({serviceMode.Get(parse).ToString().ToLowerInvariant()})")
                + (feedback is null ? string.Empty : $", FEEDBACK to {feedback}");
            var overXdp = r2p2.GetXdpStatistics().Count > 0;
            output.WriteLine($"R2P2 echo on {r2p2.LocalAddress} ({details}); Ctrl+C or SIGTERM stops{(overXdp ? ", SIGUSR1 prints the AF_XDP statistics" : string.Empty)}");
            using var printStatistics = overXdp && !OperatingSystem.IsWindows() ? PosixSignalRegistration.Create(SignalUser1, context =>
            {
                context.Cancel = true; // SIGUSR1 prints, it does not stop the server
                PrintXdpStatistics(output, r2p2, parse.GetValue(xdp)!.Queue);
            }) : null;
            await Wait(stop.Token).ConfigureAwait(false);
            var stats = r2p2.Statistics;
            output.WriteLine($"served {stats.Responses} responses, {stats.Drops} drops, {stats.MalformedDatagrams} malformed datagrams");
            if (synthetic is not null)
            {
                output.WriteLine(synthetic.Meter.Summarize().ToString());
            }
            if (overXdp)
            {
                PrintXdpStatistics(output, r2p2, parse.GetValue(xdp)!.Queue);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static readonly Dictionary<string, ServiceTimeMode> ServiceModes = new(StringComparer.Ordinal)
    {
        ["wait"] = ServiceTimeMode.Wait,
        ["spin"] = ServiceTimeMode.Spin,
    };

    /// <summary>"127.0.0.1:41000-41007": the workers' addresses as <c>tailguard router --server</c> takes them.</summary>
    private static string WorkerRange(R2P2Server server)
    {
        var addresses = server.LocalAddresses;
        return $"{addresses[0]}-{addresses[^1].Port}";
    }

    private static R2P2Server BindWorkers(IPEndPoint endPoint, int workers, Func<R2P2Server> bind)
    {
        try
        {
            return bind();
        }
        catch (SocketException error) when (endPoint.Port != 0 && error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ToolException($"cannot listen on {endPoint} with {workers} workers (ports {endPoint.Port}-{endPoint.Port + workers - 1}): {error.Message}", error);
        }
        catch (SocketException error)
        {
            throw SocketErrors.Listen(endPoint, error);
        }
    }

    /// <summary>SIGUSR1 (10 on Linux), which PosixSignal does not name.</summary>
    private const PosixSignal SignalUser1 = (PosixSignal)10;

    /// <summary>
    /// One line per AF_XDP queue: bind and attach modes, received and sent, drops, the kernel's losses and empty rings, and
    /// where the UMEM frames are (docs/xdp.md, "Checking it works").
    /// </summary>
    private static void PrintXdpStatistics(TextWriter output, R2P2Server server, int firstQueue)
    {
        var queues = server.GetXdpStatistics();
        for (var i = 0; i < queues.Count; i++)
        {
            var queue = queues[i];
            output.WriteLine($"AF_XDP queue {firstQueue + i}: {queue}; kernel receive losses {queue.KernelReceiveLosses}");
        }
    }

    /// <summary>The R2P2 echo over AF_XDP (the factory logs the interface, queues, attach and bind modes, or the fallback).</summary>
    private static R2P2Server XdpServe(XdpTarget target, IPEndPoint? listen, ReceiveMode mode, IR2P2Handler handler, R2P2ServerOptions options, int queues, bool fallback, LineLogger logger)
    {
        try
        {
            return R2P2Server.CreateXdp(target.ToOptions(listen ?? new IPEndPoint(IPAddress.Any, 9000), mode), handler, options, queues, fallback ? XdpFallback.UdpSockets : XdpFallback.None, logger);
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

/// <summary>How <c>tailguard serve</c>'s R2P2 echo answers (<c>--answer</c>).</summary>
internal enum AnswerMode
{
    /// <summary>The handler writes the response.</summary>
    Immediate,

    /// <summary>The handler defers the request and answers through its handle at once.</summary>
    Deferred,
}
