using System.Collections.Generic;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// How many admitted requests each source (an IPv4 address or IPv6 /64, any port) holds, at most a limit each
/// (<see cref="R2P2ServerOptions.MaxInFlightPerSource"/>). Shared by every receive loop and by threads answering
/// deferred responses: one short lock per admission and release. A source's entry exists only while it holds a request,
/// so the table is as large as the requests in flight; nothing allocates once it has grown to that.
/// </summary>
internal sealed class SourceQuota(int limit)
{
    private readonly object _sync = new(); // Monitor: contention inflates a native sync block, no managed allocation
    private readonly Dictionary<SourceKey, int> _held = [];

    public int Limit => limit;

    public bool TryTake(PacketAddress client)
    {
        var source = client.Source;
        lock (_sync)
        {
            _held.TryGetValue(source, out var held);
            if (held >= limit)
            {
                return false;
            }

            _held[source] = held + 1;
            return true;
        }
    }

    public bool HasRoom(PacketAddress client)
    {
        lock (_sync)
        {
            return !_held.TryGetValue(client.Source, out var held) || held < limit;
        }
    }

    public void Return(PacketAddress client)
    {
        var source = client.Source;
        lock (_sync)
        {
            if (!_held.TryGetValue(source, out var held))
            {
                return;
            }

            if (held <= 1)
            {
                _held.Remove(source);
            }
            else
            {
                _held[source] = held - 1;
            }
        }
    }
}
