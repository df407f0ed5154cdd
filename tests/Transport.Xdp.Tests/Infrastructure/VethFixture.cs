using System;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>One veth pair for a whole test class (created once, removed after its last test).</summary>
public sealed class VethFixture : IDisposable
{
    private readonly VethPair? _pair;
    private readonly string _missing;

    public VethFixture() => _pair = VethPair.TryCreate(out _missing);

    /// <summary>The pair; fails the test, with what is missing, where it could not be made.</summary>
    internal VethPair Pair => _pair ?? throw new InvalidOperationException("No veth pair: " + _missing);

    internal bool TryGetPair(out VethPair pair, out string missing)
    {
        pair = _pair!;
        missing = _missing;
        return _pair is not null;
    }

    public void Dispose() => _pair?.Dispose();
}
