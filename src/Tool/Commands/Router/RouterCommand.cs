using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Routing;
using TailGuard.Tool.Cli;
using TailGuard.Transport.Xdp;

namespace TailGuard.Tool.Commands.Router;

/// <summary>
/// <c>tailguard router</c>: an R2P2 router (docs/router.md) in front of the given servers until Ctrl+C, SIGTERM or
/// <c>--duration</c>. Membership changes at run time through a servers file, re-read when it changes or on SIGHUP (which
/// also re-admits evicted servers it lists). Evictions and FEEDBACK from strangers are reported as they happen; counts at
/// every <c>--stats-interval</c> and at the end.
/// </summary>
internal static class RouterCommand
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    public static Command Create()
    {
        var defaults = new R2P2RouterOptions();
        var listen = ToolOptions.EndPoint("--listen", "Where clients send requests: IPv4, or IPv6 as [::1]:PORT, with servers of the same family; or [::]:PORT for clients and servers of both families, each client served by servers of its own (dual-stack). Port 0 picks a free one, printed at start. [default: 127.0.0.1:9000]", allowPortZero: true);
        var feedbackPort = ToolOptions.Count("--feedback-port", "The port servers send FEEDBACK to (their --router), on --listen's address; 0 picks a free one.", -1, 0, 65535, "the request port");
        var servers = new Option<string[]>("--server") { Description = "A server: HOST:PORT, or HOST:FIRST-LAST for the workers of 'tailguard serve --workers' (repeatable, or comma-separated).", HelpName = "HOST:PORT[-LAST]", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var serversFile = new Option<FileInfo?>("--servers-file") { Description = "More servers, one per line (# comments); re-read when it changes or on SIGHUP, which adds, removes and re-admits evicted servers.", HelpName = "FILE" };
        var policy = ToolOptions.Value("--policy", "How requests are placed: fixed, random, round-robin, jsq or jbsq:N.", "POLICY", defaults.Policy.ToString(), ParsePolicy, defaults.Policy);
        var fixedServer = ToolOptions.EndPoint("--fixed-server", "Where FIXED requests (and all requests under --policy fixed) go; one of the servers. [default: the first server]");
        var queue = ToolOptions.Count("--queue", "Requests the central FIFO holds (JBSQ); beyond, the router answers DROP.", defaults.QueueCapacity, 0, 1 << 20);
        var queueTimeout = ToolOptions.Duration("--queue-timeout", "A request queued longer is answered DROP.", defaults.QueueTimeout);
        var feedbackTimeout = ToolOptions.Duration("--feedback-timeout", "A request without FEEDBACK for this long has its credit reclaimed; a server silent since is evicted.", defaults.FeedbackTimeout);
        var maxOutstanding = ToolOptions.Count("--max-outstanding", "Forwarded requests tracked at once; beyond, DROP (JBSQ queues instead).", defaults.MaxOutstanding, 1, 1 << 22);
        var feedbackMode = ToolOptions.Choice("--feedback-receive-mode", "How the FEEDBACK port's loop waits (with --feedback-port).", ReceiveMode.Blocking, Enum.GetValues<ReceiveMode>().ToDictionary(ReceiveModes.Kebab, m => m, StringComparer.Ordinal));
        var seed = ToolOptions.Count("--seed", "Seeds --policy random, so a run repeats.", -1, 0, int.MaxValue, "random");
        var noProbe = new Option<bool>("--no-probe") { Description = "Do not check at start that the servers are reachable (one empty datagram each, which a server counts as malformed)." };
        var statsInterval = ToolOptions.Duration("--stats-interval", "Print the counts this often (0: only at the end).", TimeSpan.Zero);
        var duration = ToolOptions.Duration("--duration", "Stop by itself after this long (0: until Ctrl+C or SIGTERM).", TimeSpan.Zero);
        var modes = ReceiveModes.Create(ReceiveModes.Kebab(defaults.ReceiveMode));
        var xdp = XdpTarget.Option("Receive and forward over AF_XDP on this interface and receive queue (root; docs/router.md, \"On AF_XDP\"): requests leave in the frames they arrived in; --listen gives the port, and the address when it names one.");
        var xdpFallback = XdpTarget.FallbackOption();

        var command = new Command("router", "Run an R2P2 router: JBSQ(n) and other policies across servers that send it FEEDBACK.");
        command.Options.Add(listen);
        command.Options.Add(feedbackPort.Option);
        command.Options.Add(servers);
        command.Options.Add(serversFile);
        command.Options.Add(policy.Option);
        command.Options.Add(fixedServer);
        command.Options.Add(queue.Option);
        command.Options.Add(queueTimeout.Option);
        command.Options.Add(feedbackTimeout.Option);
        command.Options.Add(maxOutstanding.Option);
        modes.AddTo(command);
        command.Options.Add(feedbackMode.Option);
        command.Options.Add(seed.Option);
        command.Options.Add(noProbe);
        command.Options.Add(statsInterval.Option);
        command.Options.Add(duration.Option);
        command.Options.Add(xdp);
        command.Options.Add(xdpFallback);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var xdpTarget = parse.GetValue(xdp);
            var endPoint = parse.GetValue(listen) ?? new IPEndPoint(xdpTarget is null ? IPAddress.Loopback : IPAddress.Any, 9000);
            if (xdpTarget is not null && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                throw ToolException.Usage("--xdp serves one address family: give --listen an address of the interface (or 0.0.0.0:PORT for its first IPv4 address), not [::].");
            }

            if (parse.GetValue(xdpFallback) && xdpTarget is null)
            {
                throw ToolException.Usage("--xdp-fallback needs --xdp.");
            }
            var (given, givenError) = ServerList.Entries((parse.GetValue(servers) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)), "--server");
            if (givenError is not null)
            {
                throw ToolException.Usage(givenError);
            }

            var dualStack = endPoint.Address.Equals(IPAddress.IPv6Any); // a pool of servers per family (docs/router.md, "Dual-stack")
            var file = parse.GetValue(serversFile);
            var membership = new Membership(given!, file?.FullName);
            var (initial, fileError) = membership.Desired();
            if (fileError is not null)
            {
                throw new ToolException(fileError, fileError.Contains("twice", StringComparison.Ordinal) || fileError.Contains("is not", StringComparison.Ordinal) ? ExitCodes.Usage : ExitCodes.Failed);
            }

            foreach (var server in initial!)
            {
                if (!dualStack && server.AddressFamily != endPoint.AddressFamily)
                {
                    throw ToolException.Usage(MixedFamilies(server, endPoint));
                }
            }

            if (initial!.Count == 0 && file is null)
            {
                throw ToolException.Usage("no servers: give at least one --server (HOST:PORT or HOST:FIRST-LAST) or a --servers-file.");
            }

            PacketAddress? fixedAddress = parse.GetValue(fixedServer) is { } fixedEndPoint ? PacketAddress.FromEndPoint(fixedEndPoint) : null;
            if (fixedAddress is { } chosen && !initial.Contains(chosen))
            {
                throw ToolException.Usage($"--fixed-server {chosen} is not one of the servers.");
            }

            var options = new R2P2RouterOptions
            {
                Policy = policy.Get(parse),
                Servers = initial,
                FixedServer = fixedAddress,
                QueueCapacity = queue.Get(parse),
                QueueTimeout = Positive(queueTimeout.Get(parse), "--queue-timeout"),
                FeedbackTimeout = Positive(feedbackTimeout.Get(parse), "--feedback-timeout"),
                MaxOutstanding = maxOutstanding.Get(parse),
                ReceiveMode = modes.Resolve(parse, defaults.ReceiveMode),
                FeedbackReceiveMode = feedbackMode.Get(parse),
                Seed = seed.Get(parse) is var s and >= 0 ? s : null,
            };

            // Probe only once the command line is known to be right: a usage error comes first.
            if (!parse.GetValue(noProbe) && initial.Count > 0 && ServerProbe.FindUnreachable(initial, TimeSpan.FromMilliseconds(200)) is { } unreachable)
            {
                throw new ToolException(unreachable);
            }

            // The request port itself, given as --feedback-port, is the shared port.
            var feedbackEndPoint = feedbackPort.Get(parse) is var port and >= 0 && !(port == endPoint.Port && port != 0) ? new IPEndPoint(endPoint.Address, port) : null;

            using var router = xdpTarget is null
                ? Start(endPoint, feedbackEndPoint, options)
                : StartXdp(xdpTarget, endPoint, (ushort?)feedbackEndPoint?.Port, options, parse.GetValue(xdpFallback), new LineLogger(output, parse.InvocationConfiguration.Error));
            var evictions = new ConcurrentQueue<PacketAddress>();
            router.ServerEvicted += (_, server) => evictions.Enqueue(server);
            var reload = 0;
            using var hangUp = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP reloads, it does not stop the router
                Interlocked.Exchange(ref reload, 1);
            });

            var feedbackText = feedbackEndPoint is null ? $"FEEDBACK on the same port" : $"FEEDBACK on {router.FeedbackAddress}";
            var overXdp = xdpTarget is not null && router.Forwarder is not RawSocketForwarder ? $"; AF_XDP on {xdpTarget}, forwarding in place" : string.Empty;
            output.WriteLine($"R2P2 router on {router.LocalAddress} ({feedbackText}; policy {router.Policy}; {initial.Count} servers; {ReceiveModes.Kebab(options.ReceiveMode)}{overXdp}); Ctrl+C or SIGTERM stops");
            foreach (var server in router.Servers)
            {
                output.WriteLine($"  server {server.Address}{(server.IsFixedServer ? " (fixed)" : string.Empty)}");
            }

            if (router.IsDualStack)
            {
                output.WriteLine($"  dual-stack: IPv4 clients go to the IPv4 servers and IPv6 clients to the IPv6 servers; a client of a family with no server is answered DROP. Servers send FEEDBACK to port {router.FeedbackAddress.Port} of an address of this host of their own family");
                foreach (var (ipv4, family) in new[] { (true, "IPv4"), (false, "IPv6") })
                {
                    if (!router.Servers.Any(server => server.Address.IsIPv4 == ipv4))
                    {
                        output.WriteLine($"  no {family} server yet: {family} clients' requests are answered DROP until one joins");
                    }
                }
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (duration.Get(parse) is var limit && limit > TimeSpan.Zero)
            {
                stop.CancelAfter(limit);
            }

            var interval = statsInterval.Get(parse);
            var nextStats = DateTime.UtcNow + interval;
            PacketAddress? reportedStranger = null;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Tick, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                while (evictions.TryDequeue(out var evicted))
                {
                    output.WriteLine($"server {evicted} evicted: no FEEDBACK within {ToolOptions.Format(options.FeedbackTimeout)} of a request (is it up, and started with --router {router.FeedbackAddress}?); SIGHUP re-admits the servers of --servers-file");
                }

                if (router.LastUnknownFeedbackSource is { } stranger && stranger != reportedStranger)
                {
                    output.WriteLine($"FEEDBACK from {stranger}, which is not a server of this router: ignored (a server must send FEEDBACK from the address the router knows it by; bind it to that address)");
                    reportedStranger = stranger;
                }

                if (membership.Changed() || Interlocked.Exchange(ref reload, 0) == 1)
                {
                    membership.Apply(router, output);
                }

                if (interval > TimeSpan.Zero && DateTime.UtcNow >= nextStats)
                {
                    output.WriteLine(Counts(router));
                    nextStats = DateTime.UtcNow + interval;
                }
            }

            output.WriteLine(Counts(router));
            foreach (var server in router.Servers)
            {
                output.WriteLine($"  {server}");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Why a server of the other address family cannot join (forwarding rewrites only the destination).</summary>
    private static string MixedFamilies(PacketAddress server, IPEndPoint listen)
        => $"the server {server} and --listen {listen} are of different address families: the router forwards by rewriting only the destination, so it and its servers share one (IPv4 or IPv6), or it listens on [::] for both.";

    /// <summary>One line of counts.</summary>
    public static string Counts(R2P2Router router)
    {
        var s = router.Statistics;
        return $"routed {s.Requests} requests: {s.Forwarded} forwarded ({s.Queued} after queueing), {s.Drops} dropped ({s.QueueFullDrops} queue full, {s.QueueTimeoutDrops} queued too long, {s.NoServerDrops} no server, {s.OutstandingLimitDrops} over the outstanding limit); "
            + $"{s.Feedbacks} FEEDBACK ({s.UnknownFeedbacks} from strangers, {s.UnmatchedFeedbacks} unmatched); {s.ReclaimedCredits} credits reclaimed, {s.Evictions} evictions ({s.EvictionsWithheld} withheld: the FEEDBACK port dropped {s.FeedbackPortDrops} datagrams); {s.MalformedDatagrams} malformed datagrams; "
            + $"{router.QueueLength} queued and {router.OutstandingCount} outstanding now; {router.Forwarder.SendErrors} forward errors; "
            + $"mean wait in the central queue {MeanMicroseconds(s.QueueTime, s.ForwardedFromQueue)} us, mean forward to FEEDBACK {MeanMicroseconds(s.FeedbackTime, s.Feedbacks)} us";
    }

    private static string MeanMicroseconds(TimeSpan total, long count)
        => count == 0 ? "-" : (total.TotalMicroseconds / count).ToString("0.0", CultureInfo.InvariantCulture);

    private static (RouterPolicy? Value, string? Error) ParsePolicy(string text)
        => RouterPolicy.TryParse(text, out var value, out var error) ? (value, null) : (null, error);

    private static TimeSpan Positive(TimeSpan value, string option)
        => value > TimeSpan.Zero ? value : throw ToolException.Usage($"{option} must be longer than 0.");

    private static R2P2Router Start(IPEndPoint endPoint, IPEndPoint? feedbackEndPoint, R2P2RouterOptions options)
    {
        try
        {
            return R2P2Router.CreateUdp(endPoint, feedbackEndPoint, options);
        }
        catch (SocketException error)
        {
            // Which of the two ports failed: bind the request port alone to tell.
            var failed = feedbackEndPoint is not null && CanBind(endPoint) ? feedbackEndPoint : endPoint;
            throw SocketErrors.Listen(failed, error);
        }
    }

    /// <summary>
    /// A router on AF_XDP (docs/router.md, "On AF_XDP"); the factory sizes its UMEM for the central queue.
    /// </summary>
    private static R2P2Router StartXdp(XdpTarget target, IPEndPoint listen, ushort? feedbackPort, R2P2RouterOptions options, bool fallback, LineLogger logger)
    {
        var transport = target.ToOptions(listen, options.ReceiveMode);
        try
        {
            return R2P2Router.CreateXdp(transport, options, feedbackPort, fallback ? XdpFallback.UdpSockets : XdpFallback.None, logger);
        }
        catch (XdpException error)
        {
            throw new ToolException($"cannot route over AF_XDP on {target}: {error.Message}", error);
        }
        catch (ArgumentException error)
        {
            throw ToolException.Usage($"cannot route over AF_XDP on {target}: {error.Message}");
        }
        catch (SocketException error) when (feedbackPort is { } port)
        {
            throw SocketErrors.Listen(new IPEndPoint(listen.Address, port), error);
        }
    }

    private static bool CanBind(IPEndPoint endPoint)
    {
        try
        {
            using var probe = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(endPoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The servers the router should have: those of --server and of the servers file, re-read when it changes.</summary>
    private sealed class Membership(IReadOnlyList<PacketAddress> given, string? file)
    {
        private DateTime _stamp = Stamp(file);

        public (IReadOnlyList<PacketAddress>? Servers, string? Error) Desired()
        {
            if (file is null)
            {
                return (given, null);
            }

            var (listed, error) = ServerList.File(file);
            if (error is not null)
            {
                return (null, error);
            }

            var all = given.ToList();
            foreach (var server in listed!)
            {
                if (all.Contains(server))
                {
                    return (null, $"{file}: the server {server} is also given with --server");
                }

                all.Add(server);
            }

            return (all, null);
        }

        public bool Changed()
        {
            var stamp = Stamp(file);
            if (stamp == _stamp)
            {
                return false;
            }

            _stamp = stamp;
            return true;
        }

        /// <summary>Adds what is missing (evicted servers too) and removes what is no longer listed; a bad file changes nothing.</summary>
        public void Apply(R2P2Router router, TextWriter output)
        {
            var (desired, error) = Desired();
            if (error is not null)
            {
                output.WriteLine($"servers not changed: {error}");
                return;
            }

            foreach (var server in desired!)
            {
                if (!router.IsDualStack && server.IsIPv4 != router.IsIPv4)
                {
                    output.WriteLine($"servers not changed: {MixedFamilies(server, router.LocalAddress.ToEndPoint())}");
                    return;
                }
            }

            var current = router.Servers.Select(s => s.Address).ToHashSet();
            foreach (var server in desired!.Where(s => !current.Contains(s)))
            {
                try
                {
                    router.AddServer(server);
                    output.WriteLine($"server {server} added");
                }
                catch (ArgumentException refused)
                {
                    output.WriteLine($"server {server} not added: {refused.Message}"); // a route too small for its requests (MTU), or (AF_XDP) a next hop that does not answer
                }
            }

            var wanted = desired!.ToHashSet();
            foreach (var server in current.Where(s => !wanted.Contains(s)))
            {
                router.RemoveServer(server);
                output.WriteLine($"server {server} removed");
            }
        }

        private static DateTime Stamp(string? path)
        {
            if (path is null)
            {
                return default;
            }

            var info = new FileInfo(path);
            return info.Exists ? info.LastWriteTimeUtc.AddTicks(info.Length) : DateTime.MinValue;
        }
    }
}
