using System;
using System.Collections.Generic;
using System.Globalization;

namespace TailGuard.MultiProcess.Tests.Infrastructure;

/// <summary>
/// A LAN of network namespaces: a bridge (a switch) in a namespace of its own, and machines, each a namespace joined to
/// the bridge by a veth pair, all in one /24 of 10.0.0.0/8 chosen at random. Nothing touches the test's own namespace,
/// so no route or address of the machine changes and traffic stays inside. Disposing removes every namespace (and with
/// them the bridge and the veth pairs).
/// </summary>
internal sealed class VirtualNetwork : IDisposable
{
    private const string Bridge = "tgbr0";
    private readonly string _suffix = NetworkNamespace.NewSuffix();
    private readonly NetworkNamespace _switch;
    private readonly List<Machine> _machines = [];
    private readonly string _prefix;

    private VirtualNetwork()
    {
        _prefix = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(100, 200)}.{Random.Shared.Next(1, 255)}");
        _switch = NetworkNamespace.Create($"tg{_suffix}sw");
        try
        {
            _switch.Run($"ip link add {Bridge} type bridge");
            _switch.Run($"ip link set {Bridge} up");
        }
        catch
        {
            _switch.Dispose();
            throw;
        }
    }

    /// <summary>The machines joined so far.</summary>
    public IReadOnlyList<Machine> Machines => _machines;

    /// <summary>Creates the network, or returns null with the reason (the missing capability) when namespaces cannot be made here.</summary>
    public static VirtualNetwork? TryCreate(out string reason)
    {
        if (!NetworkNamespace.IsAvailable(out reason))
        {
            return null;
        }

        try
        {
            return new VirtualNetwork();
        }
        catch (InvalidOperationException error)
        {
            reason = error.Message;
            return null;
        }
    }

    /// <summary>Adds a machine: a namespace with one interface (<see cref="Machine.Device"/>) on the bridge and the next address.</summary>
    public Machine AddMachine()
    {
        var index = _machines.Count + 1;
        if (index > 250)
        {
            throw new InvalidOperationException("A virtual network holds at most 250 machines.");
        }

        var node = NetworkNamespace.Create($"tg{_suffix}m{index}");
        try
        {
            // Both ends are made here, then moved: one onto the bridge, one into the machine.
            var port = $"tg{_suffix}p{index}";
            var device = $"tg{_suffix}e{index}";
            NetworkNamespace.Check($"link add {port} type veth peer name {device}");
            NetworkNamespace.Check($"link set {port} netns {_switch.Name}");
            NetworkNamespace.Check($"link set {device} netns {node.Name}");
            _switch.Run($"ip link set {port} master {Bridge}");
            _switch.Run($"ip link set {port} up");
            var address = $"{_prefix}.{index}";
            node.Run($"ip addr add {address}/24 dev {device}");
            node.Run($"ip link set {device} up");
            var machine = new Machine(node, device, address);
            _machines.Add(machine);
            return machine;
        }
        catch
        {
            node.Dispose();
            NetworkNamespace.TryRun($"link delete tg{_suffix}p{index}"); // a pair made but not yet moved
            throw;
        }
    }

    /// <summary>Removes every machine and the switch.</summary>
    public void Dispose()
    {
        foreach (var machine in _machines)
        {
            machine.Namespace.Dispose();
        }

        _switch.Dispose();
    }

    /// <summary>One machine of the network: its namespace, its interface and its IPv4 address.</summary>
    public sealed record Machine(NetworkNamespace Namespace, string Device, string Address);
}
