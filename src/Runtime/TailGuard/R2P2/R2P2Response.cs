using System;
using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>
/// A response handed to the caller as a lease over the client's pooled receive buffers (no copy). Read
/// <see cref="Payload"/>, then dispose the lease exactly once to return the buffers; the payload must not be used after.
/// </summary>
public readonly struct R2P2Response : IDisposable
{
    private readonly IR2P2ResponseOwner? _owner;
    private readonly int _token;

    internal R2P2Response(ReadOnlySequence<byte> payload, IR2P2ResponseOwner? owner, int token)
    {
        Payload = payload;
        _owner = owner;
        _token = token;
    }

    /// <summary>The response payload, valid until the lease is disposed.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Returns the receive buffers to the pool.</summary>
    public void Dispose() => _owner?.Release(_token);
}

/// <summary>Owns the buffers behind an <see cref="R2P2Response"/>; the token lets it reject a second release.</summary>
internal interface IR2P2ResponseOwner
{
    void Release(int token);
}
