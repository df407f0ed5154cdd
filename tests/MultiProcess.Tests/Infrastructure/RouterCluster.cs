using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;

namespace TailGuard.MultiProcess.Tests.Infrastructure;

/// <summary>
/// A <c>tailguard router</c> and its <c>tailguard serve --workers</c> servers, each its own process on its own host of a
/// <see cref="Deployment"/>. The router starts first on port 0 with a servers file; servers start with its FEEDBACK
/// address and join by being written to the file (run-time membership, as an operator would). Everything is killed on
/// dispose.
/// </summary>
internal sealed partial class RouterCluster : IDisposable
{
    private readonly List<ToolProcess> _processes = [];
    private readonly string _serversFile = Path.GetTempFileName();
    private readonly List<string> _members = [];

    private RouterCluster(Deployment deployment, Host routerHost)
    {
        Deployment = deployment;
        RouterHost = routerHost;
    }

    public Deployment Deployment { get; }

    public Host RouterHost { get; }

    public ToolProcess Router { get; private set; } = null!;

    /// <summary>Where clients send requests.</summary>
    public string RequestAddress { get; private set; } = string.Empty;

    /// <summary>Where servers send FEEDBACK.</summary>
    public string FeedbackAddress { get; private set; } = string.Empty;

    /// <summary>Starts a router on a new host with these extra flags (such as --policy), and no servers yet.</summary>
    public static Task<RouterCluster> StartAsync(Deployment deployment, params string[] routerFlags)
        => StartAsync(deployment, deployment.AddHost(), routerFlags);

    /// <summary>Starts a router on <paramref name="routerHost"/> (such as [::] on loopback, a dual-stack router) with these extra flags, and no servers yet.</summary>
    public static async Task<RouterCluster> StartAsync(Deployment deployment, Host routerHost, params string[] routerFlags)
    {
        var cluster = new RouterCluster(deployment, routerHost);
        try
        {
            // Eviction only where a test asks for it: at load 80 a fresh server's first FEEDBACK took over the default
            // second, and the evicted fixed server black-holed the rest of the run. Queue expiry likewise: a request
            // queued behind a late FEEDBACK for over the default second is answered DROP. Counts every 100 ms, so
            // StopRouterAsync can wait for the router to settle.
            string[] eviction = routerFlags.Contains("--feedback-timeout") ? [] : ["--feedback-timeout", "60s"];
            string[] expiry = routerFlags.Contains("--queue-timeout") ? [] : ["--queue-timeout", "60s"];
            string[] stats = routerFlags.Contains("--stats-interval") ? [] : ["--stats-interval", "100ms"];
            cluster.Router = cluster.Track(cluster.RouterHost.Start(["router", "--listen", $"{cluster.RouterHost.Address}:0", "--feedback-port", "0", "--servers-file", cluster._serversFile, .. eviction, .. expiry, .. stats, .. routerFlags]));
            cluster.RequestAddress = await cluster.Router.WaitForAddressAsync("R2P2 router on");
            cluster.FeedbackAddress = await cluster.Router.WaitForAddressAsync("FEEDBACK on");
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Starts a server with <paramref name="workers"/> workers on a new host; returns it and its workers' addresses.</summary>
    public Task<(ToolProcess Process, string[] Workers)> StartServerAsync(int workers, string serviceTime)
        => StartServerAsync(Deployment.AddHost(), FeedbackAddress, workers, serviceTime);

    /// <summary>Starts a server with <paramref name="workers"/> workers on <paramref name="host"/>, sending FEEDBACK to <paramref name="router"/>; returns it and its workers' addresses.</summary>
    public async Task<(ToolProcess Process, string[] Workers)> StartServerAsync(Host host, string router, int workers, string serviceTime)
    {
        var server = Track(host.Start("serve", "--listen", $"{host.Address}:0", "--workers", workers.ToString(CultureInfo.InvariantCulture), "--service-time", serviceTime, "--router", router));
        var first = await server.WaitForAddressAsync("R2P2 echo on");
        var port = int.Parse(first[(first.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var address = first[..first.LastIndexOf(':')];
        return (server, Enumerable.Range(port, workers).Select(p => $"{address}:{p}").ToArray());
    }

    /// <summary>Writes these servers into the router's servers file and waits until the router says it added each.</summary>
    public async Task AddAsync(params string[] servers)
    {
        _members.AddRange(servers);
        // Replaced at once (write, then rename), as an operator should: a file re-read half-written loses members.
        var next = _serversFile + ".next";
        await File.WriteAllLinesAsync(next, ["# written by the test", .. _members]);
        File.Move(next, _serversFile, overwrite: true);
        foreach (var server in servers)
        {
            await WaitForLineAsync($"server {server} added");
        }
    }

    /// <summary>Waits until the router has printed <paramref name="text"/>.</summary>
    public Task WaitForLineAsync(string text, TimeSpan? timeout = null) => Router.WaitForOutputAsync(text, timeout);

    /// <summary>
    /// Stops the router (SIGTERM) once it has settled what the clients sent, and reads its final counts. A stopped router
    /// reads no more FEEDBACK, and a server's last one may still wait in its socket (behind a flood, on a loaded machine)
    /// after the client has its answer: so first wait for counts printed after this call began in which every request
    /// the router took was forwarded or refused and every credit came back. A barrier on the router's work, not a sleep.
    /// </summary>
    public async Task<RouterCounts> StopRouterAsync()
    {
        var from = Router.Output.Length;
        var limit = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(RouterCounts.TryParse(Router.Output[from..]) is { } counts && counts.OutstandingNow == 0 && counts.Requests == counts.Forwarded + counts.Dropped))
        {
            if (DateTime.UtcNow > limit)
            {
                throw new TimeoutException($"the router did not settle in time (a request queued or a credit outstanding):\n{Router.Output}");
            }

            await Task.Delay(50);
        }

        var exitCode = await Router.StopAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"router exited {exitCode}:\n{Router.Output}");
        return RouterCounts.Parse(Router.Output);
    }

    public ToolProcess Track(ToolProcess process)
    {
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        File.Delete(_serversFile);
    }
}

/// <summary>The final counts <c>tailguard router</c> prints when it stops.</summary>
internal sealed partial record RouterCounts(long Requests, long Forwarded, long Queued, long Dropped, long Feedbacks, long Strangers, long Unmatched, long Reclaimed, long Evictions, long OutstandingNow, IReadOnlyDictionary<string, (long Outstanding, long Forwarded, long Feedbacks)> Servers)
{
    /// <summary>The last counts in <paramref name="output"/>, or null when it has none yet.</summary>
    public static RouterCounts? TryParse(string output) => Summary().IsMatch(output) ? Parse(output) : null;

    public static RouterCounts Parse(string output)
    {
        var total = Summary().Matches(output).LastOrDefault() ?? throw new FormatException($"no final counts in:\n{output}");
        long Get(string name) => long.Parse(total.Groups[name].Value, CultureInfo.InvariantCulture);
        var servers = new Dictionary<string, (long, long, long)>(StringComparer.Ordinal);
        foreach (Match line in ServerLine().Matches(output[total.Index..]))
        {
            servers[line.Groups["server"].Value] = (long.Parse(line.Groups["outstanding"].Value, CultureInfo.InvariantCulture), long.Parse(line.Groups["forwarded"].Value, CultureInfo.InvariantCulture), long.Parse(line.Groups["feedbacks"].Value, CultureInfo.InvariantCulture));
        }

        return new RouterCounts(Get("requests"), Get("forwarded"), Get("queued"), Get("dropped"), Get("feedbacks"), Get("strangers"), Get("unmatched"), Get("reclaimed"), Get("evictions"), Get("outstanding"), servers);
    }

    [GeneratedRegex(@"routed (?<requests>\d+) requests: (?<forwarded>\d+) forwarded \((?<queued>\d+) after queueing\), (?<dropped>\d+) dropped .*?; (?<feedbacks>\d+) FEEDBACK \((?<strangers>\d+) from strangers, (?<unmatched>\d+) unmatched\); (?<reclaimed>\d+) credits reclaimed, (?<evictions>\d+) evictions \(\d+ withheld: the FEEDBACK port dropped \d+ datagrams\); .*?(?<queuedNow>\d+) queued and (?<outstanding>\d+) outstanding now")]
    private static partial Regex Summary();

    [GeneratedRegex(@"^\s+(?<server>\S+:\d+) outstanding (?<outstanding>\d+), forwarded (?<forwarded>\d+), feedbacks (?<feedbacks>\d+)", RegexOptions.Multiline)]
    private static partial Regex ServerLine();
}

/// <summary>What <c>tailguard ping</c> printed: its answered calls (its "calls") and its failures.</summary>
internal sealed partial record PingResult(int ExitCode, long Answered, long Timeouts, long Drops, string Output)
{
    /// <summary>Every measured call, answered or not.</summary>
    public long Calls => Answered + Timeouts + Drops;

    public static PingResult Parse(int exitCode, string output)
    {
        var match = Line().Match(output);
        return match.Success
            ? new PingResult(exitCode, long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), output)
            : new PingResult(exitCode, 0, 0, 0, output);
    }

    public override string ToString() => $"exit {ExitCode}, {Answered} answered, {Timeouts} timeouts, {Drops} drops:\n{Output}";

    [GeneratedRegex(@"calls (\d+)\s+timeouts (\d+)\s+drops (\d+)")]
    private static partial Regex Line();
}
