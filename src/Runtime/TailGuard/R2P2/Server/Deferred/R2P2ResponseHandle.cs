using System;

namespace TailGuard.R2P2;

/// <summary>
/// The right to answer one deferred request (<see cref="R2P2Request.Defer"/>), exactly once, from any thread. A struct
/// naming a slot of the receive loop's table and the slot's generation, so copies are cheap and a stale copy can never
/// answer another request: the first answer wins, a second one, one after <see cref="R2P2ServerOptions.ResponseTimeout"/>
/// or one after the server stopped is ignored and counted (<see cref="R2P2ServerStatistics.LateResponses"/>).
/// </summary>
public readonly struct R2P2ResponseHandle : IEquatable<R2P2ResponseHandle>
{
    private readonly DeferredResponses? _owner;
    private readonly int _slot;
    private readonly int _generation;

    internal R2P2ResponseHandle(DeferredResponses owner, int slot, int generation)
    {
        _owner = owner;
        _slot = slot;
        _generation = generation;
    }

    /// <summary>Whether the request still waits for this handle's answer (not answered, not expired, server running).</summary>
    public bool IsPending => _owner is not null && _owner.IsPending(_slot, _generation);

    /// <summary>Sends <paramref name="payload"/> as the response (copied into the transport's buffers before this returns).</summary>
    /// <param name="payload">The response payload.</param>
    /// <returns>True when this was the answer; false when it was ignored (answered already, expired, or the server stopped).</returns>
    /// <exception cref="InvalidOperationException">The handle is default (it did not come from <see cref="R2P2Request.Defer"/>).</exception>
    public bool TrySend(ReadOnlySpan<byte> payload) => Owner.TrySend(_slot, _generation, payload);

    /// <summary>
    /// Sends the response <paramref name="writePayload"/> writes straight into the transport's buffers. If the writer
    /// throws, nothing is sent, the request is released (as a handler failure) and the exception propagates.
    /// </summary>
    /// <typeparam name="TState">What the writer needs.</typeparam>
    /// <param name="state">The writer's state, passed by reference before this returns.</param>
    /// <param name="writePayload">Writes the payload; called at most once, synchronously.</param>
    /// <returns>True when this was the answer; false when it was ignored (answered already, expired, or the server stopped).</returns>
    /// <exception cref="InvalidOperationException">The handle is default (it did not come from <see cref="R2P2Request.Defer"/>).</exception>
    public bool TrySend<TState>(in TState state, R2P2PayloadWriter<TState> writePayload)
    {
        ArgumentNullException.ThrowIfNull(writePayload);
        return Owner.TrySend(_slot, _generation, in state, writePayload);
    }

    /// <inheritdoc/>
    public bool Equals(R2P2ResponseHandle other) => ReferenceEquals(_owner, other._owner) && _slot == other._slot && _generation == other._generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is R2P2ResponseHandle other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_owner, _slot, _generation);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">One handle.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they name the same deferred request.</returns>
    public static bool operator ==(R2P2ResponseHandle left, R2P2ResponseHandle right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">One handle.</param>
    /// <param name="right">The other.</param>
    /// <returns>Whether they name different deferred requests.</returns>
    public static bool operator !=(R2P2ResponseHandle left, R2P2ResponseHandle right) => !left.Equals(right);

    private DeferredResponses Owner => _owner ?? throw new InvalidOperationException("This response handle did not come from R2P2Request.Defer.");
}
