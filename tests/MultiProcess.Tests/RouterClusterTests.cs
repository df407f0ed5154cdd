using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using TailGuard.MultiProcess.Tests.Infrastructure;
using TailGuard.R2P2;
using Xunit.Abstractions;

namespace TailGuard.MultiProcess.Tests;

/// <summary>
/// The router of docs/router.md as an operator deploys it: <c>tailguard router</c>, <c>tailguard serve --workers</c>
/// servers and <c>tailguard ping</c>/<c>tailguard load</c> clients, each a separate process on its own host. Every test
/// runs twice: on a LAN of network namespaces joined by veth pairs to a bridge, and on loopback addresses 127.0.0.x
/// for machines without namespaces; the first also runs on ::1 (an IPv6 router: 28-byte FEEDBACK, the raw IPv6
/// forwarder). Without a capability (root, namespaces, IPv6) the test says so and returns.
/// </summary>
public sealed class RouterClusterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ClientTime = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    [InlineData(DeploymentKind.LoopbackIPv6)]
    public async Task Requests_spread_over_every_worker_and_responses_go_straight_to_the_client(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:1");
        var (_, first) = await cluster.StartServerAsync(2, "fixed:1ms");
        var (_, second) = await cluster.StartServerAsync(2, "fixed:1ms");
        await cluster.AddAsync([.. first, .. second]);
        var client = deployment.AddHost();

        var routerIn = Counter(cluster.RouterHost, "rx_packets");
        var routerOut = Counter(cluster.RouterHost, "tx_packets");
        var ping = await PingAsync(client, cluster.RequestAddress, 200);
        var received = Counter(cluster.RouterHost, "rx_packets") - routerIn;
        var sent = Counter(cluster.RouterHost, "tx_packets") - routerOut;
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        Assert.True(ping.ExitCode == 0 && ping.Answered == 200, ping.ToString());
        Assert.Equal(200, counts.Forwarded);
        Assert.Equal(200, counts.Feedbacks);
        Assert.Equal(0, counts.OutstandingNow);
        Assert.All([.. first, .. second], worker => Assert.True(counts.Servers[worker].Forwarded > 0, $"{worker} got no request"));
        Assert.All(counts.Servers.Values, s => Assert.Equal(s.Forwarded, s.Feedbacks));
        if (kind == DeploymentKind.Namespaces)
        {
            // Case 15: the router rewrote only the destination, so servers answered the client directly. The router's
            // link carried 200 requests in, 200 FEEDBACK in and 200 requests out, and none of the 200 responses.
            output.WriteLine($"router link: {received} packets in, {sent} out");
            Assert.InRange(received, 400, 400 + 40);
            Assert.InRange(sent, 200, 200 + 40);
        }
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task A_burst_queues_at_the_router_and_every_credit_comes_back(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        // 4 workers of 2 ms serve 2000 requests/s; 4000/s for 1 s is a burst twice their capacity.
        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:2", "--queue-timeout", "5s");
        var (_, first) = await cluster.StartServerAsync(2, "fixed:2ms");
        var (_, second) = await cluster.StartServerAsync(2, "fixed:2ms");
        await cluster.AddAsync([.. first, .. second]);
        var client = deployment.AddHost();
        var load = await client.RunAsync(ClientTime, "load", "--target", $"r2p2://{cluster.RequestAddress}?router", "--rates", "4000", "--duration", "1s", "--warmup", "0s", "--timeout", "10s");
        output.WriteLine(load.Output);
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        // Case 16 across processes: with JBSQ(2) at most 2 requests sat at a worker; the rest waited at the router, and
        // each FEEDBACK returned exactly its request's credit, so every worker ends with nothing outstanding.
        Assert.True(counts.Requests >= 1000, $"the load sent only {counts.Requests} requests:\n{load.Output}");
        Assert.True(counts.Queued > 0, "nothing queued at the router under twice the capacity");
        Assert.Equal(counts.Requests, counts.Forwarded + counts.Dropped);
        Assert.Equal(counts.Forwarded, counts.Feedbacks + counts.Reclaimed);
        Assert.Equal(0, counts.Reclaimed);
        Assert.Equal(0, counts.OutstandingNow);
        Assert.All(counts.Servers.Values, s => Assert.True(s.Outstanding == 0 && s.Forwarded == s.Feedbacks, $"{s}"));
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task A_server_killed_mid_run_is_evicted_and_only_its_requests_in_flight_are_lost(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        // Eviction is a timeout, so a live server the machine starves past it is evicted too (docs/router.md: set it above
        // the service time plus the queueing at a server). At load 40-90 a live worker's FEEDBACK took over 1 s, and the
        // router evicted it with the dead ones; 4 s covers such a machine. The client waits twice that, so the router has
        // evicted a dead worker before the one call it lost times out, and no second call can follow the first onto it.
        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:2", "--feedback-timeout", "4s", "--stats-interval", "100ms");
        var (_, survivor) = await cluster.StartServerAsync(2, "fixed:1ms");
        var (victim, doomed) = await cluster.StartServerAsync(2, "fixed:1ms");
        await cluster.AddAsync([.. survivor, .. doomed]);
        var client = deployment.AddHost();

        using var ping = cluster.Track(client.Start("ping", "--via-router", "--server", cluster.RequestAddress, "--count", "1500", "--warmup", "0", "--timeout", "8s"));
        await WaitForRoutedAsync(cluster, 300);
        victim.Kill();
        var exitCode = await ping.WaitForExitAsync(ClientTime);
        var result = PingResult.Parse(exitCode, ping.Output);
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        // The client has one call in flight at a time, and a dead worker costs at most the one call it held: at most
        // one timeout per worker of the dead server. Every other call was answered by the survivor.
        Assert.True(result.ExitCode == 0 && result.Calls == 1500, result.ToString());
        Assert.InRange(result.Timeouts, 0, doomed.Length);
        Assert.Equal(1500 - result.Timeouts, result.Answered); // no DROP: the survivor took the rest
        // Only the dead server's workers were evicted (each once it held a request it never answered), and each lost request
        // had its credit reclaimed: nothing is left outstanding, and the survivor is still a member.
        var evicted = Regex.Matches(cluster.Router.Output, @"server (\S+) evicted: no FEEDBACK").Select(m => m.Groups[1].Value).ToArray();
        Assert.InRange(counts.Evictions, 1, doomed.Length);
        Assert.Equal(counts.Evictions, evicted.Length);
        Assert.All(evicted, w => Assert.Contains(w, doomed));
        Assert.All(survivor, w => Assert.True(counts.Servers.ContainsKey(w), $"{w}, alive, was evicted"));
        Assert.Equal(counts.Forwarded, counts.Feedbacks + counts.Reclaimed);
        Assert.Equal(0, counts.OutstandingNow);
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task A_server_added_at_run_time_takes_requests_from_then_on(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:1");
        var (_, first) = await cluster.StartServerAsync(1, "fixed:1ms");
        await cluster.AddAsync(first);
        var client = deployment.AddHost();
        var before = await PingAsync(client, cluster.RequestAddress, 100);

        var (_, late) = await cluster.StartServerAsync(1, "fixed:1ms");
        await cluster.AddAsync(late);
        var after = await PingAsync(client, cluster.RequestAddress, 100);
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        Assert.True(before.Answered == 100 && after.Answered == 100, before + "\n" + after);
        Assert.InRange(counts.Servers[late[0]].Forwarded, 1, 100); // only the second ping could reach it
        Assert.Equal(200, counts.Servers[first[0]].Forwarded + counts.Servers[late[0]].Forwarded);
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task A_flood_of_FEEDBACK_from_a_stranger_is_ignored_counted_and_does_not_stop_routing(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:1");
        var (_, workers) = await cluster.StartServerAsync(2, "fixed:1ms");
        await cluster.AddAsync(workers);
        var client = deployment.AddHost();
        var stranger = deployment.AddHost();

        // FEEDBACK as a server would send it (docs/design/r2p2.md), for requests of the client, from a host that is not a
        // server: were it believed, it would free credits that are not free and pile requests on busy workers.
        using var socket = stranger.BindUdp();
        var router = IPEndPoint.Parse(cluster.FeedbackAddress);
        var clientAddress = IPAddress.Parse(client.Address).GetAddressBytes();
        var flood = Task.Run(() =>
        {
            var feedback = new byte[16];
            feedback[0] = 0xCC;
            feedback[1] = 8;
            feedback[2] = 0x20;
            clientAddress.CopyTo(feedback, 12);
            for (var i = 0; i < 2000; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(feedback.AsSpan(8), (ushort)i); // every rid the client may use
                BinaryPrimitives.WriteUInt16BigEndian(feedback.AsSpan(10), (ushort)(32768 + (i % 28000))); // its ports
                socket.SendTo(feedback, router);
            }
        });
        var ping = await PingAsync(client, cluster.RequestAddress, 200);
        await flood;
        await cluster.WaitForLineAsync($"FEEDBACK from {stranger.Address}:"); // told as it happens, with who sent it
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        Assert.True(ping.Answered == 200, ping.ToString());
        Assert.InRange(counts.Strangers, 1, 2000);
        Assert.Equal(200, counts.Feedbacks);
        Assert.Equal(0, counts.Evictions);
        Assert.All(counts.Servers.Values, s => Assert.True(s.Outstanding == 0 && s.Forwarded == s.Feedbacks, $"{s}"));
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task The_fixed_policy_sends_every_request_to_the_fixed_server(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        // Unnamed, the fixed server is the first to join (here through the servers file, at run time).
        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "fixed");
        var (_, first) = await cluster.StartServerAsync(1, "fixed:1ms");
        var (_, second) = await cluster.StartServerAsync(1, "fixed:1ms");
        await cluster.AddAsync([.. first, .. second]);
        var client = deployment.AddHost();
        var ping = await PingAsync(client, cluster.RequestAddress, 100);
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        Assert.True(ping.Answered == 100, ping.ToString());
        var fixedServer = counts.Servers.Single(s => s.Value.Forwarded > 0);
        Assert.Equal(100, fixedServer.Value.Forwarded);
        Assert.Contains($"{fixedServer.Key} outstanding 0, forwarded 100, feedbacks 100 (fixed)", cluster.Router.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeploymentKind.Namespaces)]
    [InlineData(DeploymentKind.Loopback)]
    public async Task A_request_a_full_router_refuses_fails_as_dropped_at_once_for_a_client_bound_to_the_servers(DeploymentKind kind)
    {
        using var deployment = Deploy(kind);
        if (deployment is null)
        {
            return;
        }

        // One worker busy for 1 s and a central FIFO of one: the third request of a burst has nowhere to go, and the
        // router answers DROP from its own address, which is not in the client's server set.
        using var cluster = await RouterCluster.StartAsync(deployment, "--policy", "jbsq:1", "--queue", "1", "--queue-timeout", "30s", "--feedback-timeout", "30s");
        var (_, workers) = await cluster.StartServerAsync(1, "fixed:1s");
        await cluster.AddAsync(workers);
        var host = deployment.AddHost();
        var timeout = TimeSpan.FromSeconds(60);
        var transport = host.Make(() => UdpTransport.Bind(new IPEndPoint(IPAddress.Parse(host.Address), 0)));
        await using var client = new R2P2Client(transport, PacketAddress.Parse(cluster.RequestAddress), new R2P2ClientOptions
        {
            Timeout = timeout,
            ResponseSources = ResponseSources.Servers(workers.Select(PacketAddress.Parse)),
        });

        var busy = client.CallAsync("busy"u8.ToArray()).AsTask();
        var queued = client.CallAsync("queued"u8.ToArray()).AsTask();
        var clock = Stopwatch.StartNew();
        var refused = client.CallAsync("refused"u8.ToArray()).AsTask();
        await Assert.ThrowsAsync<R2P2DroppedException>(() => refused.WaitAsync(timeout + timeout));
        var refusedAfter = clock.Elapsed;
        output.WriteLine($"refused after {refusedAfter.TotalMilliseconds:F1} ms (timeout {timeout.TotalSeconds} s)");
        Assert.True(refusedAfter < timeout / 6, $"the DROP took {refusedAfter}: the client waited for something else");

        // The two it could take are answered by the worker, straight to the client.
        using (var first = await busy.WaitAsync(timeout))
        using (var second = await queued.WaitAsync(timeout))
        {
            Assert.Equal("busy"u8.ToArray(), first.Payload.ToArray());
            Assert.Equal("queued"u8.ToArray(), second.Payload.ToArray());
        }

        var counts = await cluster.StopRouterAsync();
        Assert.Equal(1, counts.Dropped);
        Assert.Equal(2, counts.Forwarded);
    }

    [Fact]
    public async Task A_dual_stack_router_serves_IPv4_and_IPv6_clients_each_with_the_workers_of_its_family()
    {
        using var ipv4 = Deploy(DeploymentKind.Loopback);
        using var ipv6 = Deploy(DeploymentKind.LoopbackIPv6);
        if (ipv4 is null || ipv6 is null)
        {
            return;
        }

        // One router on [::]: workers on 127.0.0.x send FEEDBACK to its port over IPv4, workers on ::1 over IPv6.
        using var cluster = await RouterCluster.StartAsync(ipv4, new Host(null, "[::]", "lo"), "--policy", "jbsq:1");
        var (requestPort, feedbackPort) = (PortOf(cluster.RequestAddress), PortOf(cluster.FeedbackAddress));
        var (_, ipv4Workers) = await cluster.StartServerAsync(ipv4.AddHost(), $"127.0.0.1:{feedbackPort}", 2, "fixed:1ms");
        var (_, ipv6Workers) = await cluster.StartServerAsync(ipv6.AddHost(), $"[::1]:{feedbackPort}", 2, "fixed:1ms");
        await cluster.AddAsync([.. ipv4Workers, .. ipv6Workers]);

        var ping4 = await PingAsync(ipv4.AddHost(), $"127.0.0.1:{requestPort}", 100);
        var ping6 = await PingAsync(ipv6.AddHost(), $"[::1]:{requestPort}", 100);
        var counts = await cluster.StopRouterAsync();
        output.WriteLine(cluster.Router.Output);

        // Each family's calls went to its own workers (a request sent to the other family's could not be forwarded and
        // would have timed out), and each worker's FEEDBACK returned every credit it took.
        Assert.True(ping4.ExitCode == 0 && ping4.Answered == 100, ping4.ToString());
        Assert.True(ping6.ExitCode == 0 && ping6.Answered == 100, ping6.ToString());
        Assert.Equal(200, counts.Forwarded);
        Assert.Equal(200, counts.Feedbacks);
        Assert.Equal(0, counts.OutstandingNow);
        Assert.Equal(100, ipv4Workers.Sum(worker => counts.Servers[worker].Forwarded));
        Assert.Equal(100, ipv6Workers.Sum(worker => counts.Servers[worker].Forwarded));
        Assert.All(counts.Servers.Values, s => Assert.Equal(s.Forwarded, s.Feedbacks));
    }

    private static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    /// <summary>The deployment, or null after saying which capability is missing (the test then returns: skipped).</summary>
    private Deployment? Deploy(DeploymentKind kind)
    {
        var deployment = Deployment.TryCreate(kind, out var reason);
        if (deployment is null)
        {
            output.WriteLine($"SKIPPED ({kind}): {reason}");
        }

        return deployment;
    }

    /// <summary>
    /// A ping whose calls must all be answered. Its timeout only bounds a lost call, and no test here expects one: at load
    /// 80 a fresh server's first answer (JIT, a starved process) took over 2 s and failed a correct run, so it is long.
    /// </summary>
    private static async Task<PingResult> PingAsync(Host client, string router, int calls)
    {
        var (exitCode, text) = await client.RunAsync(ClientTime, "ping", "--via-router", "--server", router, "--count", calls.ToString(CultureInfo.InvariantCulture), "--warmup", "0", "--timeout", "30s");
        return PingResult.Parse(exitCode, text);
    }

    private static async Task WaitForRoutedAsync(RouterCluster cluster, long requests)
    {
        var limit = DateTime.UtcNow + ClientTime;
        while (DateTime.UtcNow < limit)
        {
            var lines = cluster.Router.Output.Split('\n').Where(l => l.StartsWith("routed ", StringComparison.Ordinal)).ToArray();
            if (lines.Length > 0 && long.Parse(lines[^1].Split(' ')[1], CultureInfo.InvariantCulture) >= requests)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"the router did not route {requests} requests in time:\n{cluster.Router.Output}");
    }

    /// <summary>A counter of the router host's interface; 0 on loopback, where every process shares the device.</summary>
    private static long Counter(Host host, string counter) => host.Namespace?.Counter(host.Device, counter) ?? 0;

}
