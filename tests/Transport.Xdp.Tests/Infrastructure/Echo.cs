using System.Buffers;
using TailGuard.R2P2;

namespace TailGuard.Transport.Xdp.Tests.Infrastructure;

/// <summary>Answers each request with its own payload.</summary>
internal sealed class Echo : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}
