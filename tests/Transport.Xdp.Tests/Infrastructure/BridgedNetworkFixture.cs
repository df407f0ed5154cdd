using System;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>One bridged segment (router, client, server) for a whole test class, removed after its last test.</summary>
public sealed class BridgedNetworkFixture : IDisposable
{
    private readonly BridgedNetwork? _network;
    private readonly string _missing;

    public BridgedNetworkFixture() => _network = BridgedNetwork.TryCreate(out _missing);

    /// <summary>The segment; fails the test, with what is missing, where it could not be made.</summary>
    internal BridgedNetwork Network => _network ?? throw new InvalidOperationException("No bridged network: " + _missing);

    public void Dispose() => _network?.Dispose();
}
