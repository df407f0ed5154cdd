using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>
/// Serves R2P2 requests. An R2P2 server calls <see cref="Handle"/> once per complete request, on the
/// thread that received it (run to completion), and sends what the handler wrote as the response, unless the handler
/// called <see cref="R2P2Request.Defer"/> to answer later through the returned handle.
/// Generated <c>{Name}Dispatcher</c> types implement it.
/// </summary>
public interface IR2P2Handler
{
    /// <summary>Handles one request.</summary>
    /// <param name="request">The request. Its payload is a view over the receive buffers, valid only during this call.</param>
    /// <param name="response">Pooled send buffers; everything written here is the response payload.</param>
    void Handle(in R2P2Request request, IBufferWriter<byte> response);
}
