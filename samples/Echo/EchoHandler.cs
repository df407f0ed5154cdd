using System.Buffers;
using TailGuard.R2P2;

namespace TailGuard.Samples.Echo;

/// <summary>Answers each request with its own payload, copied from the receive buffer into the send buffer.</summary>
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
