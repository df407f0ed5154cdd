using System.Buffers;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Answers every request with the same payload.</summary>
internal sealed class FixedResponseHandler(byte[] response) : IR2P2Handler
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public void Handle(in R2P2Request request, IBufferWriter<byte> writer)
    {
        Interlocked.Increment(ref _calls);
        writer.Write(response);
    }
}
