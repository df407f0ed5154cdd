using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// One network namespace per node, joined by veth pairs to a bridge in this (the test's) namespace, on a random
/// 10.x.y.0/24: node i is 10.x.y.(i+1), the bridge (and the test's clients) 10.x.y.254. <see cref="Partition"/> cuts a
/// node off from the other nodes (blackhole routes on both sides) while the test's clients still reach every node.
/// Names are "tg" + a random suffix; Dispose deletes the namespaces (their veth ends go with them) and the bridge.
/// </summary>
internal sealed class NamespaceNetwork : IDisposable
{
    private readonly string _prefix;
    private readonly string _subnet;
    private readonly List<(string Namespace, string Route)> _cuts = [];
    private bool _bridge;

    private NamespaceNetwork(int count)
    {
        _prefix = "tg" + Random.Shared.Next(0x10000, 0xFFFFF).ToString("x", CultureInfo.InvariantCulture);
        _subnet = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}");
        Namespaces = Enumerable.Range(0, count).Select(i => $"{_prefix}n{i}").ToArray();
        Addresses = Enumerable.Range(0, count).Select(i => IPAddress.Parse($"{_subnet}.{i + 1}")).ToArray();
    }

    public string[] Namespaces { get; }

    public IPAddress[] Addresses { get; }

    /// <summary>Builds the network, or returns null with the reason when this machine cannot (not root, no netns, no bridge).</summary>
    public static NamespaceNetwork? TryCreate(int count, out string reason)
    {
        var network = new NamespaceNetwork(count);
        try
        {
            network.Build();
            reason = string.Empty;
            return network;
        }
        catch (InvalidOperationException error)
        {
            network.Dispose();
            reason = error.Message;
            return null;
        }
    }

    /// <summary>Cuts node <paramref name="node"/> off from every other node, both ways.</summary>
    public void Partition(int node)
    {
        for (var other = 0; other < Namespaces.Length; other++)
        {
            if (other != node)
            {
                Cut(Namespaces[node], Addresses[other]);
                Cut(Namespaces[other], Addresses[node]);
            }
        }
    }

    /// <summary>Removes every cut.</summary>
    public void Heal()
    {
        foreach (var (ns, route) in _cuts)
        {
            Ip(ignoreFailure: true, "-n", ns, "route", "del", "blackhole", route);
        }

        _cuts.Clear();
    }

    public void Dispose()
    {
        foreach (var ns in Namespaces)
        {
            Ip(ignoreFailure: true, "netns", "del", ns);
        }

        if (_bridge)
        {
            Ip(ignoreFailure: true, "link", "del", _prefix + "br");
        }
    }

    private void Build()
    {
        Ip(ignoreFailure: false, "link", "add", _prefix + "br", "type", "bridge");
        _bridge = true;
        Ip(ignoreFailure: false, "addr", "add", _subnet + ".254/24", "dev", _prefix + "br");
        Ip(ignoreFailure: false, "link", "set", _prefix + "br", "up");
        for (var i = 0; i < Namespaces.Length; i++)
        {
            var ns = Namespaces[i];
            var outside = $"{_prefix}v{i}";
            var inside = $"{_prefix}p{i}";
            Ip(ignoreFailure: false, "netns", "add", ns);
            Ip(ignoreFailure: false, "link", "add", outside, "type", "veth", "peer", "name", inside);
            Ip(ignoreFailure: false, "link", "set", inside, "netns", ns);
            Ip(ignoreFailure: false, "link", "set", outside, "master", _prefix + "br", "up");
            Ip(ignoreFailure: false, "-n", ns, "addr", "add", $"{Addresses[i]}/24", "dev", inside);
            Ip(ignoreFailure: false, "-n", ns, "link", "set", inside, "up");
            Ip(ignoreFailure: false, "-n", ns, "link", "set", "lo", "up");
        }
    }

    private void Cut(string ns, IPAddress peer)
    {
        var route = peer + "/32";
        Ip(ignoreFailure: false, "-n", ns, "route", "add", "blackhole", route);
        _cuts.Add((ns, route));
    }

    private static void Ip(bool ignoreFailure, params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0 && !ignoreFailure)
            {
                throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {error.Trim()}");
            }
        }
        catch (System.ComponentModel.Win32Exception error) when (!ignoreFailure)
        {
            throw new InvalidOperationException("the ip command is missing: " + error.Message);
        }
    }
}
