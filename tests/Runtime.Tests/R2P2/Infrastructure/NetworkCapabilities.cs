using System;
using System.Collections.Generic;
using System.Linq;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>What a test class needs of the machine; tests of a class whose capability is missing are skipped, naming it.</summary>
public enum NetworkCapability
{
    /// <summary>UDP on the IPv6 loopback address ::1 (missing where IPv6 is disabled, as in some containers).</summary>
    IPv6Loopback,

    /// <summary>A raw IPv4 socket (CAP_NET_RAW, Linux): what a router needs to forward with the client's source address.</summary>
    RawSockets,

    /// <summary>Root on Linux with `ip` and network namespaces (a namespace's own loopback device, whose MTU a test may set).</summary>
    NetworkNamespaces,

    /// <summary>Root on Linux with `ip`, network namespaces and AF_XDP sockets (veth pairs between namespaces, an XDP program).</summary>
    AfXdpNamespaces,
}

/// <summary>Marks a test class whose <see cref="NetworkFactAttribute"/> and <see cref="NetworkTheoryAttribute"/> tests need a capability.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class RequiresNetworkAttribute(NetworkCapability capability) : Attribute
{
    public NetworkCapability Capability { get; } = capability;
}

/// <summary>A fact that is skipped, with the reason, when its class needs a capability the machine lacks.</summary>
[XunitTestCaseDiscoverer("TailGuard.Tests.R2P2.Infrastructure.NetworkFactDiscoverer", "TailGuard.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkFactAttribute : FactAttribute;

/// <summary>A theory that is skipped, with the reason, when its class needs a capability the machine lacks.</summary>
[XunitTestCaseDiscoverer("TailGuard.Tests.R2P2.Infrastructure.NetworkTheoryDiscoverer", "TailGuard.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class NetworkTheoryAttribute : TheoryAttribute;

public static partial class NetworkCapabilities
{
    private static readonly Lazy<string?> RawSocketsMissing = new(() => TailGuard.R2P2.Routing.RawSocketForwarder.IsAvailable(out var reason) ? null : $"needs a raw socket to forward with the client's source address: {reason}");
    private static readonly Lazy<string?> AfXdpNamespacesMissing = new(ProbeAfXdpNamespaces);
    private static readonly Lazy<string?> NetworkNamespacesMissing = new(ProbeNetworkNamespaces);

    /// <summary>Why the test class cannot run here, or null when it can (decided at discovery, per derived class).</summary>
    public static string? MissingFor(ITestMethod testMethod)
    {
        var needs = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresNetworkAttribute))
            .Select(a => a.GetConstructorArguments().Single())
            .Cast<NetworkCapability>();
        foreach (var capability in needs)
        {
            var missing = capability switch
            {
                NetworkCapability.IPv6Loopback => TailGuard.Testing.IPv6Loopback.Missing,
                NetworkCapability.RawSockets => RawSocketsMissing.Value,
                NetworkCapability.AfXdpNamespaces => AfXdpNamespacesMissing.Value,
                NetworkCapability.NetworkNamespaces => NetworkNamespacesMissing.Value,
                _ => $"unknown capability {capability}",
            };
            if (missing is not null)
            {
                return missing;
            }
        }

        return null;
    }

    private static string? ProbeNetworkNamespaces()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return "needs root on Linux (network namespaces)";
        }

        if (!System.IO.File.Exists("/usr/sbin/ip") && !System.IO.File.Exists("/sbin/ip") && !System.IO.File.Exists("/usr/bin/ip") && !System.IO.File.Exists("/bin/ip"))
        {
            return "needs the ip command (iproute2) to create network namespaces and veth pairs";
        }

        return null;
    }

    private static string? ProbeAfXdpNamespaces()
    {
        if (ProbeNetworkNamespaces() is { } missing)
        {
            return $"{missing}; and AF_XDP sockets with an XDP program";
        }

        // System.Net.Sockets knows no AF_XDP: ask libc directly (AF_XDP = 44, SOCK_RAW = 3).
        var fd = socket(44, 3, 0);
        if (fd < 0)
        {
            return $"needs AF_XDP sockets (CONFIG_XDP_SOCKETS), which this kernel refuses (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})";
        }

        _ = close(fd);
        return null;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int close(int fd);
}

public sealed class NetworkFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    private readonly IMessageSink _sink = diagnosticMessageSink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var missing = NetworkCapabilities.MissingFor(testMethod);
        return missing is null
            ? base.Discover(discoveryOptions, testMethod, factAttribute)
            : [new XunitSkippedDataRowTestCase(_sink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, missing)];
    }
}

public sealed class NetworkTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute)
    {
        var missing = NetworkCapabilities.MissingFor(testMethod);
        return missing is null
            ? base.Discover(discoveryOptions, testMethod, theoryAttribute)
            : CreateTestCasesForSkip(discoveryOptions, testMethod, theoryAttribute, missing);
    }
}
