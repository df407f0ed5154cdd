using System.Buffers;
using TailGuard.R2P2;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>Answers each request with its own payload, copied from the receive buffers into the send buffers.</summary>
internal sealed class EchoHandler : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}
