using System;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using TailGuard.Tool.Tests.Infrastructure;

namespace TailGuard.MultiProcess.Tests.Infrastructure;

/// <summary>Where a test's processes run.</summary>
public enum DeploymentKind
{
    /// <summary>Each process in its own network namespace, all joined by veth pairs to one bridge (<see cref="VirtualNetwork"/>).</summary>
    Namespaces,

    /// <summary>Each process on its own loopback address 127.0.0.x, for machines without namespaces.</summary>
    Loopback,

    /// <summary>Every process on ::1 (each on its own ports): an IPv6 router, its servers and clients.</summary>
    LoopbackIPv6,
}

/// <summary>
/// Hosts for a test's processes: machines of a <see cref="VirtualNetwork"/>, or loopback addresses of this machine.
/// A process started on a <see cref="Host"/> runs in its namespace (if any) and binds its address.
/// </summary>
internal sealed class Deployment : IDisposable
{
    private readonly VirtualNetwork? _network;
    private int _hosts;

    private Deployment(DeploymentKind kind, VirtualNetwork? network)
    {
        Kind = kind;
        _network = network;
    }

    /// <summary>Namespaces or loopback addresses.</summary>
    public DeploymentKind Kind { get; }

    /// <summary>The deployment, or null with the missing capability in <paramref name="reason"/> (namespaces need root).</summary>
    public static Deployment? TryCreate(DeploymentKind kind, out string reason)
    {
        reason = string.Empty;
        if (!OperatingSystem.IsLinux())
        {
            reason = "the router forwards through a Linux raw socket";
            return null;
        }

        if (Environment.UserName != "root")
        {
            reason = "the router needs CAP_NET_RAW (root) to forward with the client's address";
            return null;
        }

        if (kind == DeploymentKind.Loopback)
        {
            return new Deployment(kind, null);
        }

        if (kind == DeploymentKind.LoopbackIPv6)
        {
            if (TailGuard.Testing.IPv6Loopback.Missing is { } missing)
            {
                reason = missing;
                return null;
            }

            return new Deployment(kind, null);
        }

        var network = VirtualNetwork.TryCreate(out reason);
        return network is null ? null : new Deployment(kind, network);
    }

    /// <summary>A new host: a machine on the bridge, or the next loopback address (127.0.0.2, 127.0.0.3, ...).</summary>
    public Host AddHost()
    {
        if (_network is not null)
        {
            var machine = _network.AddMachine();
            return new Host(machine.Namespace, machine.Address, machine.Device);
        }

        return Kind == DeploymentKind.LoopbackIPv6 ? new Host(null, "[::1]", "lo") : new Host(null, $"127.0.0.{++_hosts + 1}", "lo");
    }

    /// <summary>Removes the namespaces (loopback addresses need no cleaning).</summary>
    public void Dispose() => _network?.Dispose();
}

/// <summary>One host: its namespace (null on loopback), its address and its interface.</summary>
internal sealed record Host(NetworkNamespace? Namespace, string Address, string Device)
{
    /// <summary>Starts the tool on this host.</summary>
    public ToolProcess Start(params string[] args) => ToolProcess.Start(Namespace?.Name, args);

    /// <summary>A UDP socket on this host's address (port 0): a peer the test drives itself, from the host's namespace.</summary>
    public Socket BindUdp()
    {
        var local = new IPEndPoint(IPAddress.Parse(Address.Trim('[', ']')), 0);
        if (Namespace is not null)
        {
            return Namespace.BindUdp(local);
        }

        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(local);
        return socket;
    }

    /// <summary>Makes sockets (or a transport over them) on this host: in its namespace, or here on loopback.</summary>
    public T Make<T>(Func<T> make)
        where T : class
        => Namespace is null ? make() : Namespace.Make(make);

    /// <summary>Runs the tool on this host to its end and returns its output (it must end within <paramref name="timeout"/>).</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Start(args);
        var exitCode = await process.WaitForExitAsync(timeout);
        return (exitCode, process.Output);
    }
}
