using System;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Load;

/// <summary>
/// Something to put load on: a factory of connections (client sockets), each of which sends requests without waiting
/// for replies. Built in: <see cref="R2P2EchoTarget"/> (raw R2P2) and <see cref="R2P2ServiceTarget{TClient, TResult}"/>
/// (a method of a generated <c>[R2P2Service]</c> client); the <c>tailguard</c> tool adds a gRPC baseline. Write your own
/// by deriving from this class and <see cref="LoadConnection"/> (docs/load.md, "Targets").
/// </summary>
public abstract class LoadTarget : IAsyncDisposable
{
    /// <summary>A name for reports, such as <c>r2p2://127.0.0.1:9000</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Opens one connection. Called once per connection before the first point of a run.</summary>
    /// <param name="settings">The connection's index, timeout and in-flight limit.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connection, ready to send.</returns>
    public abstract ValueTask<LoadConnection> ConnectAsync(LoadConnectionSettings settings, CancellationToken cancellationToken);

    /// <summary>Releases what the target holds beyond its connections (which the generator disposes itself).</summary>
    /// <returns>A task that completes when released.</returns>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>What a <see cref="LoadConnection"/> is opened for.</summary>
public sealed class LoadConnectionSettings
{
    /// <summary>The connection's index, from 0.</summary>
    public int Index { get; init; }

    /// <summary>Whether this connection belongs to the latency-measuring subset (worth precise timestamps).</summary>
    public bool MeasuresLatency { get; init; }

    /// <summary>How long a request may take before it counts as <see cref="LoadOutcome.Timeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The most requests the generator will have in flight on this connection at once.</summary>
    public int MaxInFlight { get; init; } = 1024;
}

/// <summary>
/// One client socket (or channel) of a <see cref="LoadTarget"/>. The generator calls <see cref="Send"/> from one
/// sending thread at a time and never waits for the reply; the connection completes each request exactly once, from
/// any thread, with <see cref="LoadRequest.Complete(LoadOutcome, long)"/>.
/// </summary>
public abstract class LoadConnection : IAsyncDisposable
{
    /// <summary>Where this connection's receive timestamps come from.</summary>
    public abstract TimestampSource ReceiveTimestamps { get; }

    /// <summary>
    /// Sends one request. Must not block on the reply. The request may complete before this method returns (a send
    /// that fails at once completes it with <see cref="LoadOutcome.Failed"/>); it must never complete twice.
    /// </summary>
    /// <param name="request">The request; its <see cref="LoadRequest.State"/> is what <see cref="CreateRequestState"/> made for it.</param>
    public abstract void Send(LoadRequest request);

    /// <summary>
    /// Sends requests that fell due together (a sending thread that woke to find several due, or a send window; docs/load.md,
    /// "Batched sends"), in as few system calls as the connection can: the R2P2 and UDP echo targets send them with one
    /// <c>sendmmsg</c>. The same contract as <see cref="Send"/> holds for each request: do not block on replies, complete
    /// each exactly once, possibly before this method returns. The default sends them one at a time with <see cref="Send"/>.
    /// </summary>
    /// <remarks>
    /// Each request keeps its own <see cref="LoadRequest.ScheduledTimestamp"/>, so its latency is still measured from when
    /// it was due. If this method throws, the generator ends every request of the batch not yet completed as
    /// <see cref="LoadOutcome.Failed"/>. The span is only valid during the call.
    /// </remarks>
    /// <param name="requests">The requests, in schedule order; their <see cref="LoadRequest.State"/> is what <see cref="CreateRequestState"/> made.</param>
    public virtual void SendBatch(ReadOnlySpan<LoadRequest> requests)
    {
        foreach (var request in requests)
        {
            try
            {
                Send(request);
            }
            catch (Exception)
            {
                // One request's failure must not leave the rest of the batch unsent.
                request.Complete(LoadOutcome.Failed);
            }
        }
    }

    /// <summary>
    /// Creates the connection's own per-request state (cached delegates, buffers), once per pooled request, so that a
    /// send allocates nothing. The default is none.
    /// </summary>
    /// <param name="request">The pooled request the state belongs to.</param>
    /// <returns>The state, available as <see cref="LoadRequest.State"/>.</returns>
    public virtual object? CreateRequestState(LoadRequest request) => null;

    /// <summary>
    /// Faults the connection survived so far: failures of its own machinery (its receive loop, a completion callback that
    /// threw) rather than of a request. A running total; the generator reports each point's increase as
    /// <see cref="LoadPointResult.Faults"/> and fails the point's <c>faults</c> check when it is not zero. The default is none.
    /// </summary>
    public virtual long Faults => 0;

    /// <summary>Closes the connection; requests still in flight complete (as failures if need be) or are abandoned.</summary>
    /// <returns>A task that completes when closed.</returns>
    public abstract ValueTask DisposeAsync();
}
