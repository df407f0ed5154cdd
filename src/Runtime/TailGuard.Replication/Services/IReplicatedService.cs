using System;
using System.Buffers;

namespace TailGuard.Replication;

/// <summary>
/// The deterministic apply function of a replicated service: what every replica runs, in log order, for each
/// committed request. The generator emits it for <c>[R2P2Service(Replicated = true)]</c> interfaces (the
/// <c>{Name}Dispatcher</c> implements it); a hand-written one must be deterministic too: the same requests in the same
/// order must give every replica the same state and the same responses (docs/replication.md, "Determinism").
/// </summary>
public interface IReplicatedService
{
    /// <summary>
    /// Whether <paramref name="request"/> calls a method without side effects (<c>[ReadOnly]</c>). A replica refuses a
    /// read-only request (policy 3) for which this is false: only one replica runs a read-only request, so a write sent
    /// that way would change one replica alone.
    /// </summary>
    /// <param name="request">The request payload as the service's client wrote it.</param>
    /// <returns>True when the request only reads.</returns>
    bool IsReadOnly(ReadOnlySpan<byte> request);

    /// <summary>Runs one request against the state and writes its response. Must not throw for bad input: answer an error.</summary>
    /// <param name="request">The request payload as the service's client wrote it.</param>
    /// <param name="response">Where the response goes.</param>
    void Apply(ReadOnlySequence<byte> request, IBufferWriter<byte> response);
}
