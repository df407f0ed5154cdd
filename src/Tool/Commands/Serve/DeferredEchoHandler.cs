using System.Buffers;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// The echo through the deferred-answer path (<c>tailguard serve --answer deferred</c>): each request is deferred and
/// answered through its <see cref="R2P2ResponseHandle"/> at once, on the receive loop's thread, so comparing it with
/// <see cref="EchoHandler"/> measures the cost of the path itself (the handle's table slot and its separate send), not
/// a thread hand-off (docs/r2p2.md, "Deferred responses").
/// </summary>
internal sealed class DeferredEchoHandler : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        var handle = request.Defer();
        handle.TrySend(request.Payload, static (writer, in payload) =>
        {
            foreach (var segment in payload)
            {
                writer.Write(segment.Span);
            }
        });
    }
}
