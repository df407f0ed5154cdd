using System;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.R2P2;

// CONTRACT ONLY (issue 3 replaces the bodies): the signatures below are what generated clients call.
/// <summary>An R2P2 client bound to one destination (a server or a router).</summary>
public sealed partial class R2P2Client
{
    /// <summary>
    /// Sends one request whose payload <paramref name="writePayload"/> writes straight into pooled send buffers, and
    /// completes with the response as a lease over the receive buffers.
    /// </summary>
    /// <typeparam name="TState">The arguments the writer needs.</typeparam>
    /// <param name="state">The arguments, passed by reference to the writer before this method returns.</param>
    /// <param name="writePayload">Writes the payload; called once, synchronously.</param>
    /// <param name="policy">The routing policy of the request.</param>
    /// <param name="cancellationToken">Cancels the call; the call then ends once, with <see cref="OperationCanceledException"/>.</param>
    /// <returns>The response lease; dispose it to return the buffers.</returns>
    /// <exception cref="R2P2TimeoutException">The call's timer fired.</exception>
    /// <exception cref="R2P2DroppedException">The server refused the request.</exception>
    /// <exception cref="R2P2MalformedResponseException">The response was malformed.</exception>
    public ValueTask<R2P2Response> CallAsync<TState>(
        in TState state,
        R2P2PayloadWriter<TState> writePayload,
        RoutingPolicy policy = RoutingPolicy.LoadBalanced,
        CancellationToken cancellationToken = default)
        => throw new NotImplementedException("R2P2Client is implemented by the R2P2 runtime issue.");
}
