using System;
using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;
using System.Net;
using TailGuard.Load;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Load;

/// <summary>Every option of <c>tailguard load</c>, its validation, and what it turns into.</summary>
internal sealed class LoadOptions
{
    private static readonly LoadGeneratorOptions s_defaults = new();
    private static readonly SelfCheckOptions s_checks = new();

    public LoadOptions()
    {
        Targets.CustomParser = result =>
        {
            var specs = new List<TargetSpec>();
            foreach (var token in result.Tokens)
            {
                var (spec, error) = TargetSpec.Parse(token.Value);
                if (error is not null)
                {
                    result.AddError($"--target: {error}");
                    return [];
                }

                specs.Add(spec!);
            }

            return specs;
        };
        All =
        [
            Targets, Rates, Sweep, Size.Option, Connections.Option, LatencyConnections.Option, Threads.Option, MaxInFlight.Option,
            Timeout.Option, Distribution.Option, WarmUp.Option, Duration.Option, CiWidth, CiPercentile.Option, MaxDuration.Option,
            Percentiles, RateTolerance.Option, Significance.Option, MaxLateness.Option, IndependenceP.Option, Seed.Option,
            CapacityDuration.Option, SenderSpin.Option, SenderPriority.Option, SendBatch.Option, SendWindow.Option, Modes.Mode, Modes.BusyPoll, NoKernelTimestamps, Csv, Json, Plot, Agents, Agent, Listen, StallSender,
        ];
    }

    public IReadOnlyList<Option> All { get; }

    public Option<IReadOnlyList<TargetSpec>?> Targets { get; } = new("--target")
    {
        Description = "What to load: r2p2://HOST:PORT (an R2P2 echo, tailguard serve), udp://HOST:PORT (a plain UDP echo, tailguard serve --raw-udp) or grpc://HOST:PORT (tailguard serve --grpc). Repeat to compare targets in one run.",
        HelpName = "URI",
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<IReadOnlyList<double>?> Rates { get; } = ToolOptions.Reference("--rates", "Offered rates to visit, requests per second (5k,10k,20k).", "RATE[,RATE...]", Quantities.Rates);

    public Option<IReadOnlyList<double>?> Sweep { get; } = ToolOptions.Reference("--sweep", "Fractions of the capacity measured first, such as 10%..90% (step 10%) or 10%..90%:20%.", "FROM%..TO%[:STEP%]", Quantities.PercentRange);

    public Valued<int> Size { get; } = ToolOptions.Size("--size", "Request payload bytes.", 64, 1024 * 1024);

    public Valued<int> Connections { get; } = ToolOptions.Count("--connections", "Client sockets (R2P2 request ids are per socket).", s_defaults.Connections, 1, 4096);

    public Valued<int> LatencyConnections { get; } = ToolOptions.Count("--latency-connections", "How many connections measure latency (the rest only generate load).", s_defaults.LatencyConnections, 1, 4096);

    public Valued<int> Threads { get; } = ToolOptions.Count("--threads", "Sending threads (connections are spread over them).", s_defaults.SendingThreads, 1, 256);

    public Valued<int> MaxInFlight { get; } = ToolOptions.Count("--max-in-flight", "Requests in flight at most, over all connections; sends beyond it are skipped and reported.", s_defaults.MaxInFlight, 1, 1 << 24);

    public Valued<TimeSpan> Timeout { get; } = ToolOptions.Duration("--timeout", "How long a request may take before it counts as a timeout.", s_defaults.Timeout);

    public Valued<InterArrivalDistribution> Distribution { get; } = ToolOptions.Choice("--distribution", "Gaps between scheduled sends: exponential (Poisson arrivals), fixed or uniform.", InterArrivalDistribution.Exponential, new Dictionary<string, InterArrivalDistribution>
    {
        ["exponential"] = InterArrivalDistribution.Exponential,
        ["fixed"] = InterArrivalDistribution.Fixed,
        ["uniform"] = InterArrivalDistribution.Uniform,
    });

    public Valued<TimeSpan> WarmUp { get; } = ToolOptions.Duration("--warmup", "Sending before measuring each point.", s_defaults.WarmUp);

    public Valued<TimeSpan> Duration { get; } = ToolOptions.Duration("--duration", "How long each point measures (at least, with --ci-width).", s_defaults.Duration);

    public Option<string?> CiWidth { get; } = new("--ci-width") { Description = "Keep measuring each point until the --ci-percentile interval is this wide or narrower: a duration (10us) or a fraction of the estimate (5%).", HelpName = "WIDTH" };

    public Valued<double> CiPercentile { get; } = ToolOptions.Value("--ci-percentile", "The percentile --ci-width applies to.", "PERCENTILE", "99", text => Quantities.Percentiles(text) is ({ Count: 1 } list, null) ? ((double?)list[0], null) : (null, $"'{text}' is not one percentile strictly between 0 and 100"), 99.0);

    public Valued<TimeSpan> MaxDuration { get; } = ToolOptions.Duration("--max-duration", "With --ci-width: the longest a point may measure; the report says when it stopped there.", TimeSpan.FromSeconds(60));

    public Option<IReadOnlyList<double>?> Percentiles { get; } = ToolOptions.Reference("--percentiles", "Percentiles to report, each with its 95% interval.", "P[,P...]", Quantities.Percentiles);

    public Valued<double> RateTolerance { get; } = ToolOptions.Percent("--rate-tolerance", "Self-check: the achieved rate may miss the target by this much.", s_checks.RateTolerance, 0.99);

    public Valued<double> Significance { get; } = ToolOptions.Value("--significance", "Self-check: the inter-arrival test's significance (0.001 to 0.25).", "ALPHA", "0.01", text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0.001 && value <= 0.25 ? ((double?)value, null) : (null, $"'{text}' is not a significance from 0.001 to 0.25"), s_checks.InterArrivalSignificance);

    public Valued<TimeSpan> MaxLateness { get; } = ToolOptions.Duration("--max-lateness", "Self-check: the p99 of the generator's own send lateness may be at most this.", s_checks.MaxSendLateness);

    public Valued<double> IndependenceP { get; } = ToolOptions.Value("--independence-p", "Self-check: consecutive samples count as independent when Spearman's p-value is above this.", "P", "1e-10", text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value < 1 ? ((double?)value, null) : (null, $"'{text}' is not a p-value between 0 and 1"), s_checks.IndependencePValue);

    public Valued<int> Seed { get; } = ToolOptions.Count("--seed", "Seed the schedule for a repeatable run.", -1, 0, int.MaxValue, "from the clock");

    public Valued<TimeSpan> CapacityDuration { get; } = ToolOptions.Duration("--capacity-duration", "With --sweep: how long the capacity probe (a saturating closed loop) runs.", TimeSpan.FromSeconds(2));

    public Valued<TimeSpan> SenderSpin { get; } = ToolOptions.Duration("--sender-spin", "How long before each scheduled send a sending thread stops sleeping and spins (0 to 10ms; docs/load.md, \"The sending thread\").", s_defaults.SenderSpin);

    public Valued<int> SendBatch { get; } = ToolOptions.Count("--send-batch", "The most due requests a sending thread hands to one connection in one send (one sendmmsg); 1 sends each alone (docs/load.md, \"Batched sends\").", s_defaults.MaxSendBatch, 1, 1024);

    public Valued<TimeSpan> SendWindow { get; } = ToolOptions.Duration("--send-window", "How long a sending thread may hold a due request to send it with those falling due after it (0 to 10ms); the lateness it costs is judged by --max-lateness.", s_defaults.SendWindow);

    public Valued<SenderPriority> SenderPriority { get; } = ToolOptions.Choice("--sender-priority", "The sending threads' priority: high (nice -10 where permitted) or normal.", s_defaults.SenderPriority, new Dictionary<string, SenderPriority>
    {
        ["high"] = TailGuard.Load.SenderPriority.High,
        ["normal"] = TailGuard.Load.SenderPriority.Normal,
    });

    public ReceiveModes Modes { get; } = ReceiveModes.Create("blocking with kernel timestamps and every --rates rate at most 20k/s, else adaptive (docs/load.md, \"The sending thread\")");

    public Option<bool> NoKernelTimestamps { get; } = new("--no-kernel-timestamps") { Description = "Timestamp receipts with the monotonic clock even where the kernel offers SO_TIMESTAMPING." };

    public Option<string[]> Csv { get; } = new("--csv") { Description = "Write one CSV row per point to this file.", HelpName = "FILE" };

    public Option<string[]> Json { get; } = new("--json") { Description = "Write the whole run (environment, points, checks, histograms) as JSON.", HelpName = "FILE" };

    public Option<string[]> Plot { get; } = new("--plot") { Description = "Write the latency-vs-throughput plot, .png or .svg (repeatable).", HelpName = "FILE" };

    public Option<IReadOnlyList<IPEndPoint>?> Agents { get; } = ToolOptions.EndPoints("--agents", "Run the points on these load agents (tailguard load --agent) and merge their measurements.");

    public Option<bool> Agent { get; } = new("--agent") { Description = "Be a load agent: wait for a coordinator on --listen and run the points it asks for." };

    public Option<IPEndPoint?> Listen { get; } = ToolOptions.EndPoint("--listen", "With --agent: where to listen for the coordinator (port 0 picks one, printed at start).", allowPortZero: true);

    public Option<string?> StallSender { get; } = new("--stall-sender") { Description = "Testing the self-checks: stall the sending threads for DURATION every INTERVAL (default 100ms).", HelpName = "DURATION[/INTERVAL]" };

    /// <summary>The checks across options that parsing alone cannot make; each failure is a usage error.</summary>
    public void Validate(ParseResult parse)
    {
        if (parse.GetValue(Agent))
        {
            if (parse.GetValue(Listen) is null)
            {
                throw ToolException.Usage("--agent needs --listen HOST:PORT.");
            }

            if (Given(parse, Targets) || Given(parse, Rates) || Given(parse, Sweep) || Given(parse, Agents))
            {
                throw ToolException.Usage("an agent takes its target and rates from its coordinator: use --agent with --listen only.");
            }

            return;
        }

        if (Given(parse, Listen))
        {
            throw ToolException.Usage("--listen is for --agent.");
        }

        if (parse.GetValue(Targets) is not { Count: > 0 })
        {
            throw ToolException.Usage("at least one --target is required (r2p2://HOST:PORT or grpc://HOST:PORT).");
        }

        if (Given(parse, Rates) == Given(parse, Sweep))
        {
            throw ToolException.Usage("give exactly one of --rates (5k,10k,...) and --sweep (10%..90%).");
        }

        if (LatencyConnections.Get(parse) > Connections.Get(parse))
        {
            throw ToolException.Usage("--latency-connections cannot exceed --connections.");
        }

        if (Threads.Get(parse) > Connections.Get(parse))
        {
            throw ToolException.Usage("--threads cannot exceed --connections (each thread sends on its own connections).");
        }

        if (MaxInFlight.Get(parse) < Connections.Get(parse))
        {
            throw ToolException.Usage("--max-in-flight must allow at least one request per connection.");
        }

        if (Duration.Get(parse) <= TimeSpan.Zero || Timeout.Get(parse) <= TimeSpan.Zero || MaxDuration.Get(parse) <= TimeSpan.Zero || CapacityDuration.Get(parse) <= TimeSpan.Zero)
        {
            throw ToolException.Usage("--duration, --timeout, --max-duration and --capacity-duration must be positive.");
        }

        if (MaxLateness.Get(parse) <= TimeSpan.Zero)
        {
            throw ToolException.Usage("--max-lateness must be positive.");
        }

        if (parse.GetValue(CiWidth) is { } width && ParseWidth(width).Error is { } widthError)
        {
            throw ToolException.Usage($"--ci-width: {widthError}");
        }

        if (Given(parse, CiWidth) && parse.GetValue(Agents) is { Count: > 0 })
        {
            throw ToolException.Usage("--ci-width applies to local runs; with --agents each point measures --duration.");
        }

        if (SenderSpin.Get(parse) > TimeSpan.FromMilliseconds(10))
        {
            throw ToolException.Usage("--sender-spin must be at most 10ms.");
        }

        if (SendWindow.Get(parse) > TimeSpan.FromMilliseconds(10))
        {
            throw ToolException.Usage("--send-window must be at most 10ms.");
        }

        if (parse.GetValue(StallSender) is { } stall && ParseStall(stall).Error is { } stallError)
        {
            throw ToolException.Usage($"--stall-sender: {stallError}");
        }

        foreach (var path in (parse.GetValue(Plot) ?? []).Where(p => !p.EndsWith(".png", StringComparison.OrdinalIgnoreCase) && !p.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)))
        {
            throw ToolException.Usage($"--plot: '{path}' must end in .png or .svg.");
        }
    }

    public LoadGeneratorOptions GeneratorOptions(ParseResult parse)
    {
        var precision = parse.GetValue(CiWidth) is { } width ? ParseWidth(width) : default;
        var stall = parse.GetValue(StallSender) is { } text ? ParseStall(text) : default;
        return new LoadGeneratorOptions
        {
            Connections = Connections.Get(parse),
            LatencyConnections = LatencyConnections.Get(parse),
            SendingThreads = Threads.Get(parse),
            MaxInFlight = MaxInFlight.Get(parse),
            Timeout = Timeout.Get(parse),
            Distribution = Distribution.Get(parse),
            WarmUp = WarmUp.Get(parse),
            Duration = Duration.Get(parse),
            Percentiles = parse.GetValue(Percentiles) ?? s_defaults.Percentiles,
            Seed = Seed.Get(parse) is var seed && seed >= 0 ? seed : null,
            Precision = precision.Width is null && precision.Relative is null ? null : new PrecisionTarget
            {
                Percentile = CiPercentile.Get(parse),
                Width = precision.Width,
                RelativeWidth = precision.Relative,
                TimeLimit = MaxDuration.Get(parse),
            },
            Checks = new SelfCheckOptions
            {
                RateTolerance = RateTolerance.Get(parse),
                InterArrivalSignificance = Significance.Get(parse),
                MaxSendLateness = MaxLateness.Get(parse),
                IndependencePValue = IndependenceP.Get(parse),
            },
            SenderSpin = SenderSpin.Get(parse),
            SenderPriority = SenderPriority.Get(parse),
            MaxSendBatch = SendBatch.Get(parse),
            SendWindow = SendWindow.Get(parse),
            SenderStall = stall.Stall ?? TimeSpan.Zero,
            SenderStallInterval = stall.Interval ?? TimeSpan.FromMilliseconds(100),
        };
    }

    public SweepPlan Plan(ParseResult parse)
        => parse.GetValue(Rates) is { } rates
            ? SweepPlan.OfRates(rates)
            : SweepPlan.OfCapacity(parse.GetValue(Sweep)!, CapacityDuration.Get(parse));

    private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    private static (TimeSpan? Width, double? Relative, string? Error) ParseWidth(string text)
    {
        if (text.EndsWith('%'))
        {
            var (fraction, error) = Quantities.Percent(text, 10);
            return (null, fraction, error);
        }

        var (width, durationError) = Quantities.Duration(text);
        return width is { } value && value <= TimeSpan.Zero ? (null, null, $"'{text}' must be positive") : (width, null, durationError);
    }

    private static (TimeSpan? Stall, TimeSpan? Interval, string? Error) ParseStall(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var (stall, error) = Quantities.Duration(slash < 0 ? text : text[..slash]);
        var (interval, intervalError) = slash < 0 ? (TimeSpan.FromMilliseconds(100), null) : Quantities.Duration(text[(slash + 1)..]);
        if (error is not null || intervalError is not null)
        {
            return (null, null, error ?? intervalError);
        }

        return interval <= TimeSpan.Zero ? (null, null, "the interval must be positive") : (stall, interval, null);
    }
}
