using System.Buffers;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Answers each request with its own payload, and counts the calls.</summary>
internal sealed class EchoHandler : IR2P2Handler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        Interlocked.Increment(ref _calls);
        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}
