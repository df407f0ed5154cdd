using System;
using TailGuard.Tests.R2P2.Infrastructure;
using TailGuard.Transport.Xdp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TailGuard.Transport.Xdp.Tests;

/// <summary>
/// The bind mode decision (docs/xdp.md, "Copy and zero-copy"): <see cref="XdpBindMode.Auto"/> takes zero-copy where the
/// driver has it and copy elsewhere, a forced zero-copy bind on a driver without it is refused naming the way out, and
/// the statistics say which mode the socket got. Whether a driver has zero-copy is probed (a forced zero-copy bind),
/// never assumed: veth has none, so the zero-copy side runs only on an interface named by
/// <c>TAILGUARD_XDP_ZEROCOPY_INTERFACE</c> (IFACE[:QUEUE], a NIC whose driver supports AF_XDP zero-copy) and otherwise
/// says it was skipped and why.
/// </summary>
[RequiresNetwork(NetworkCapability.AfXdpNamespaces)]
public sealed class BindModeTests(VethFixture veth, ITestOutputHelper output) : IClassFixture<VethFixture>
{
    /// <summary>Names a zero-copy capable interface (IFACE[:QUEUE]) for <see cref="Auto_takes_zero_copy_where_the_driver_supports_it"/>.</summary>
    public const string ZeroCopyInterfaceVariable = "TAILGUARD_XDP_ZEROCOPY_INTERFACE";

    [NetworkFact]
    public void Auto_falls_back_to_copy_on_a_driver_without_zero_copy_and_forced_zero_copy_is_refused_naming_the_fix()
    {
        var pair = veth.Pair;
        if (ProbeZeroCopy(pair.NamespaceA, pair.InterfaceA, 0, out var refusal))
        {
            output.WriteLine($"SKIPPED: {pair.InterfaceA} (veth) accepted a zero-copy bind on this kernel, so it has no fallback to show; the zero-copy test covers it");
            return;
        }

        Assert.Contains(pair.InterfaceA, refusal, StringComparison.Ordinal);
        Assert.Contains("does not support zero-copy", refusal, StringComparison.Ordinal);
        Assert.Contains("XdpBindMode.Auto or Copy", refusal, StringComparison.Ordinal);

        using (var auto = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, BindMode = XdpBindMode.Auto })))
        {
            Assert.Equal(XdpBindMode.Copy, auto.BindMode);
            Assert.Equal(XdpBindMode.Copy, auto.Statistics.BindMode);
            Assert.Contains("Copy bind", auto.Statistics.ToString(), StringComparison.Ordinal);
        }

        using var copy = NamespaceThread.Run(pair.NamespaceA, () => XdpTransport.Create(new XdpTransportOptions { Interface = pair.InterfaceA, BindMode = XdpBindMode.Copy }));
        Assert.Equal(XdpBindMode.Copy, copy.Statistics.BindMode);
    }

    [NetworkFact]
    public void Auto_takes_zero_copy_where_the_driver_supports_it()
    {
        var named = Environment.GetEnvironmentVariable(ZeroCopyInterfaceVariable);
        if (string.IsNullOrEmpty(named))
        {
            output.WriteLine($"SKIPPED: no zero-copy capable interface: veth has no AF_XDP zero-copy; set {ZeroCopyInterfaceVariable}=IFACE[:QUEUE] to a NIC whose driver has it (such as i40e, ice or mlx5) to run this test");
            return;
        }

        var parts = named.Split(':');
        var name = parts[0];
        var queue = parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (!ProbeZeroCopy(null, name, queue, out var refusal))
        {
            output.WriteLine($"SKIPPED: {name} refused a zero-copy bind, so its driver has no AF_XDP zero-copy: {refusal}");
            return;
        }

        using var auto = XdpTransport.Create(new XdpTransportOptions { Interface = name, Queue = queue, BindMode = XdpBindMode.Auto });
        Assert.Equal(XdpBindMode.ZeroCopy, auto.BindMode);
        Assert.Equal(XdpBindMode.ZeroCopy, auto.Statistics.BindMode);
        Assert.Contains("ZeroCopy bind", auto.Statistics.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The capability probe: a forced zero-copy bind; true when the driver took it, else the refusal's message.</summary>
    private static bool ProbeZeroCopy(string? networkNamespace, string interfaceName, int queue, out string refusal)
    {
        var options = new XdpTransportOptions { Interface = interfaceName, Queue = queue, BindMode = XdpBindMode.ZeroCopy };
        try
        {
            using var probe = networkNamespace is null ? XdpTransport.Create(options) : NamespaceThread.Run(networkNamespace, () => XdpTransport.Create(options));
            Assert.Equal(XdpBindMode.ZeroCopy, probe.BindMode); // a forced zero-copy bind that succeeded is zero-copy
            refusal = string.Empty;
            return true;
        }
        catch (XdpUnavailableException error)
        {
            refusal = error.Message;
            return false;
        }
    }
}
