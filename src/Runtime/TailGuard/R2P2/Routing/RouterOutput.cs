using System;

namespace TailGuard.R2P2.Routing;

/// <summary>
/// One thread's batch of what the scheduler decided: forwards (to the forwarder, keeping the client as source) and
/// replies (DROPs, from the request port). Filled under the router's lock, sent by <see cref="Flush"/> after it is
/// released; a full batch is sent at once. Each loop has its own; membership changes from other threads use a fresh one.
/// </summary>
internal sealed class RouterOutput(PacketForwarder forwarder, PacketTransport replies, int capacity) : IRouterOutput
{
    private readonly PacketBuffer[] _forwards = new PacketBuffer[capacity];
    private readonly PacketAddress[] _destinations = new PacketAddress[capacity];
    private readonly PacketBuffer[] _replies = new PacketBuffer[capacity];
    private int _forwardCount;
    private int _replyCount;

    public void Forward(PacketBuffer request, PacketAddress server)
    {
        if (_forwardCount == _forwards.Length)
        {
            FlushForwards();
        }

        _forwards[_forwardCount] = request;
        _destinations[_forwardCount++] = server;
    }

    public void Reply(PacketBuffer message)
    {
        if (_replyCount == _replies.Length)
        {
            FlushReplies();
        }

        _replies[_replyCount++] = message;
    }

    /// <summary>Sends what is batched; both sends take their buffers even when one throws.</summary>
    public void Flush()
    {
        try
        {
            FlushForwards();
        }
        finally
        {
            FlushReplies();
        }
    }

    private void FlushForwards()
    {
        if (_forwardCount == 0)
        {
            return;
        }

        var count = _forwardCount;
        _forwardCount = 0;
        try
        {
            forwarder.Forward(_forwards.AsSpan(0, count), _destinations.AsSpan(0, count));
        }
        finally
        {
            Array.Clear(_forwards, 0, count);
        }
    }

    private void FlushReplies()
    {
        if (_replyCount == 0)
        {
            return;
        }

        var count = _replyCount;
        _replyCount = 0;
        try
        {
            replies.Send(_replies.AsSpan(0, count));
        }
        finally
        {
            Array.Clear(_replies, 0, count);
        }
    }
}
