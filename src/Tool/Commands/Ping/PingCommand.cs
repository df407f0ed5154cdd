using System;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tool.Cli;
using TailGuard.Tool.Commands.Serve;

namespace TailGuard.Tool.Commands.Ping;

/// <summary>
/// <c>tailguard ping</c>: a closed-loop client printing round-trip percentiles, failures by kind and bytes allocated
/// per call. Without <c>--server</c> it brings its own echo (same discipline) into the process.
/// </summary>
internal static class PingCommand
{
    /// <summary>The default warm-up, never more than the calls asked for.</summary>
    public const int DefaultWarmUp = 20_000;

    public static Command Create()
    {
        var server = ToolOptions.EndPoint("--server", "The echo server to ping (tailguard serve, or serve --raw-udp with --raw-udp); without it, an echo in this process.");
        var count = ToolOptions.Count("--count", "Calls to measure.", 20_000, 1, 100_000_000);
        var warmUp = ToolOptions.Count("--warmup", "Calls before measuring.", -1, 0, 100_000_000, $"as many as --count, at most {DefaultWarmUp}");
        var size = ToolOptions.Size("--size", "Payload bytes per call.", 64, 1024 * 1024);
        var timeout = ToolOptions.Duration("--timeout", $"How long one call may take; {PingSettings.TimeoutsInARow} timeouts in a row end the ping.", TimeSpan.FromSeconds(1));
        var rawUdp = new Option<bool>("--raw-udp") { Description = "Ping a plain UDP echo instead of R2P2." };
        var viaRouter = new Option<bool>("--via-router") { Description = "--server is an R2P2 router (tailguard router): take responses from the servers behind it (R2P2 only)." };
        var verify = new Option<bool>("--verify") { Description = "Compare every echoed byte, not only the length." };
        var xdp = XdpTarget.Option("Ping over AF_XDP from this interface and receive queue (root; docs/xdp.md); needs --server.");
        var xdpFallback = XdpTarget.FallbackOption();
        var modes = ReceiveModes.Create();

        var command = new Command("ping", "Measure closed-loop round trips to an echo server.");
        command.Options.Add(server);
        command.Options.Add(count.Option);
        command.Options.Add(warmUp.Option);
        command.Options.Add(size.Option);
        command.Options.Add(timeout.Option);
        command.Options.Add(rawUdp);
        command.Options.Add(verify);
        command.Options.Add(viaRouter);
        command.Options.Add(xdp);
        command.Options.Add(xdpFallback);
        modes.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var raw = parse.GetValue(rawUdp);
            if (raw && size.Get(parse) > 65_507)
            {
                throw ToolException.Usage("--size: a plain UDP datagram carries at most 65507 bytes.");
            }

            if (timeout.Get(parse) <= TimeSpan.Zero)
            {
                throw ToolException.Usage("--timeout must be positive.");
            }

            var target = parse.GetValue(xdp);
            if (target is not null && (raw || parse.GetValue(server) is null))
            {
                throw ToolException.Usage("--xdp pings an R2P2 echo at --server (another host or network namespace), not --raw-udp and not an echo in this process.");
            }

            if (parse.GetValue(xdpFallback) && target is null)
            {
                throw ToolException.Usage("--xdp-fallback needs --xdp.");
            }

            var mode = modes.Resolve(parse, new R2P2ClientOptions().ReceiveMode);
            var calls = count.Get(parse);
            var warm = warmUp.Get(parse) is var asked && asked >= 0 ? asked : Math.Min(calls, DefaultWarmUp);
            var given = parse.GetValue(server);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await using var local = given is null ? await LocalEcho.StartAsync(raw, mode, stop.Token).ConfigureAwait(false) : null;
            var destination = given ?? local!.Address;
            var settings = new PingSettings(destination, calls, warm, size.Get(parse), mode, timeout.Get(parse), parse.GetValue(verify), target, parse.GetValue(xdpFallback)) { ViaRouter = parse.GetValue(viaRouter) };
            PingReport report;
            try
            {
                report = raw
                    ? await Task.Run(() => RawUdpPing.Run(settings), CancellationToken.None).ConfigureAwait(false)
                    : await R2P2Ping.RunAsync(settings, new LineLogger(output, parse.InvocationConfiguration.Error)).ConfigureAwait(false);
            }
            catch (SocketException error)
            {
                throw new ToolException($"cannot reach {destination}: {error.Message}", error);
            }

            output.WriteLine(report.Format($"{(raw ? "raw UDP" : "R2P2")}{(target is null ? string.Empty : $" --xdp {target}")} {settings.Size} B {ReceiveModes.Kebab(mode)}"));
            if (report.AbortReason is { } reason)
            {
                throw new ToolException(reason);
            }

            if (report.Calls == 0)
            {
                throw new ToolException($"no call to {destination} succeeded (timeouts {report.Timeouts}, drops {report.Drops}, wrong-length echoes {report.WrongLength})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The echo a ping without --server brings into its own process.</summary>
    private sealed class LocalEcho : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private R2P2Server? _server;
        private UdpTransport? _raw;
        private Thread? _thread;

        public IPEndPoint Address { get; private set; } = new(IPAddress.Loopback, 0);

        public static Task<LocalEcho> StartAsync(bool raw, ReceiveMode mode, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var echo = new LocalEcho();
            var loopback = new IPEndPoint(IPAddress.Loopback, 0);
            if (raw)
            {
                var transport = UdpTransport.Bind(loopback);
                echo._raw = transport;
                echo._thread = new Thread(() => RawUdpEcho.Serve(transport, mode, ReceiveLoopOptions.DefaultSpinBudget, echo._stop.Token)) { IsBackground = true, Name = "raw UDP echo" };
                echo._thread.Start();
                echo.Address = transport.LocalAddress.ToEndPoint();
            }
            else
            {
                echo._server = R2P2Server.CreateUdp(loopback, new EchoHandler(), new R2P2ServerOptions { ReceiveMode = mode });
                echo.Address = echo._server.LocalAddress.ToEndPoint();
            }

            return Task.FromResult(echo);
        }

        public ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _thread?.Join();
            _raw?.Dispose();
            _server?.Dispose();
            _stop.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
