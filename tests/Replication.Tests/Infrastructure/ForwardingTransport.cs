using System;
using TailGuard.R2P2;

namespace TailGuard.Replication.Tests.Infrastructure;

/// <summary>
/// A client's socket seen through a test's hands: every call goes to the wrapped transport, which it owns (disposed with
/// it); memory and sockets stay the inner transport's. Fault injectors and tallies override what they watch.
/// </summary>
internal abstract class ForwardingTransport(PacketTransport inner) : PacketTransport
{
    protected PacketTransport Inner { get; } = inner;

    public override PacketAddress LocalAddress => Inner.LocalAddress;

    public override int MaxDatagramSize => Inner.MaxDatagramSize;

    public override PacketBuffer Rent(int capacity) => Inner.Rent(capacity);

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds) => Inner.Receive(buffers, timeoutMilliseconds);

    public override void Send(ReadOnlySpan<PacketBuffer> packets) => Inner.Send(packets);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
