using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Tool.Tests;

/// <summary>
/// Distributed load: agents in their own processes (and, where the machine allows, in their own network namespace),
/// a coordinator that starts them in step and merges what they measured.
/// </summary>
[Collection(nameof(ProcessTests))]
public sealed class AgentTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tailguard-agents-").FullName;

    [Fact]
    public async Task Two_agent_processes_share_the_rate_and_the_coordinator_merges_their_histograms()
    {
        using var server = ToolProcess.Start(null, "serve", "--listen", "127.0.0.1:0");
        using var first = ToolProcess.Start(null, "load", "--agent", "--listen", "127.0.0.1:0");
        using var second = ToolProcess.Start(null, "load", "--agent", "--listen", "127.0.0.1:0");
        var target = await server.WaitForAddressAsync("R2P2 echo on");
        var agents = $"{await first.WaitForAddressAsync("listening on")},{await second.WaitForAddressAsync("listening on")}";

        var json = Path.Combine(_folder, "agents.json");
        var result = await ToolRun.InProcessAsync(
            "load", "--target", $"r2p2://{target}", "--agents", agents, "--rates", "1000", "--duration", "2s", "--warmup", "300ms", "--json", json);
        output.WriteLine(result.ToString());
        output.WriteLine(first.Output);
        output.WriteLine(second.Output);
        Assert.True(result.ExitCode is 0 or 3, result.ToString());
        Assert.Contains("from 2 agents", result.Output, StringComparison.Ordinal);

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var point = document.RootElement.GetProperty("sweeps")[0].GetProperty("points")[0];
        Assert.Equal(2, point.GetProperty("agents").GetInt32());

        // Each agent sent about half of 1000 requests/s for 2 s; together, about 2000.
        var sent = point.GetProperty("sent").GetInt64();
        Assert.InRange(sent, 1_400, 2_600);
        var buckets = point.GetProperty("latency").GetProperty("buckets").EnumerateArray().Sum(b => b[1].GetInt64());
        Assert.Equal(buckets + point.GetProperty("latency").GetProperty("failed").GetInt64(), SamplesOf(point));

        // Both agents ran the point: each logged its own share.
        foreach (var agent in new[] { first, second })
        {
            Assert.Contains("coordinator", agent.Output, StringComparison.Ordinal);
            Assert.Contains("500 requests/s: sent", agent.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_agent_in_its_own_network_namespace_loads_a_server_there()
    {
        using var network = NetworkNamespace.TryCreate(out var reason);
        if (network is null)
        {
            output.WriteLine($"SKIPPED: needs Linux network namespaces (ip netns, root): {reason}");
            return;
        }

        using var server = ToolProcess.Start(network.Name, "serve", "--listen", $"{network.InsideAddress}:0");
        using var agent = ToolProcess.Start(network.Name, "load", "--agent", "--listen", $"{network.InsideAddress}:0");
        var target = await server.WaitForAddressAsync("R2P2 echo on");
        var agentAddress = await agent.WaitForAddressAsync("listening on");

        var json = Path.Combine(_folder, "netns.json");
        var result = await ToolRun.InProcessAsync("load", "--target", $"r2p2://{target}", "--agents", agentAddress, "--rates", "500", "--duration", "1s", "--warmup", "200ms", "--json", json);
        output.WriteLine(result.ToString());
        output.WriteLine(agent.Output);
        Assert.True(result.ExitCode is 0 or 3, result.ToString());
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var point = document.RootElement.GetProperty("sweeps")[0].GetProperty("points")[0];
        Assert.True(point.GetProperty("ok").GetInt64() > 0);
        Assert.Equal(1, point.GetProperty("agents").GetInt32());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static long SamplesOf(JsonElement point)
    {
        var percentiles = point.GetProperty("percentiles").EnumerateArray().ToArray();
        return percentiles[0].GetProperty("samples").GetInt64();
    }
}

/// <summary>
/// A network namespace joined to this one by a veth pair (10.201.x.1 here, 10.201.x.2 inside), named with a random
/// "tg" prefix and removed on dispose. Traffic goes only to the address inside it.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name, string device, string insideAddress)
    {
        Name = name;
        Device = device;
        InsideAddress = insideAddress;
    }

    public string Name { get; }

    public string Device { get; }

    public string InsideAddress { get; }

    public static NetworkNamespace? TryCreate(out string reason)
    {
        reason = string.Empty;
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            reason = "not root on Linux";
            return null;
        }

        var suffix = Random.Shared.Next(0x1000, 0xFFFF).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
        var subnet = Random.Shared.Next(1, 250);
        var name = $"tgns{suffix}";
        var outside = $"tgv{suffix}a";
        var inside = $"tgv{suffix}b";
        var steps = new[]
        {
            $"netns add {name}",
            $"link add {outside} type veth peer name {inside}",
            $"link set {inside} netns {name}",
            $"addr add 10.201.{subnet}.1/30 dev {outside}",
            $"link set {outside} up",
            $"netns exec {name} ip addr add 10.201.{subnet}.2/30 dev {inside}",
            $"netns exec {name} ip link set {inside} up",
            $"netns exec {name} ip link set lo up",
        };
        var created = new NetworkNamespace(name, outside, $"10.201.{subnet}.2");
        foreach (var step in steps)
        {
            if (Ip(step) is { } error)
            {
                created.Dispose();
                reason = $"ip {step}: {error}";
                return null;
            }
        }

        return created;
    }

    public void Dispose()
    {
        Ip($"link delete {Device}");
        Ip($"netns delete {Name}");
    }

    private static string? Ip(string arguments)
    {
        try
        {
            var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments.Split(' '))
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : error.Trim();
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            return error.Message;
        }
    }
}
