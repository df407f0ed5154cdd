using System;
using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>
/// The result of a generated client call whose method writes bytes into a destination, handed over as a lease on the
/// client's receive buffers instead of a copy. Read <see cref="Bytes"/>, then dispose the lease exactly once.
/// </summary>
/// <typeparam name="TResult">The method's own result (for a destination method, the <see cref="int"/> it returned).</typeparam>
public readonly struct R2P2ResultLease<TResult> : IDisposable
{
    private readonly R2P2Response _response;

    /// <summary>Creates the lease. Generated code calls this; it takes ownership of <paramref name="response"/>.</summary>
    /// <param name="result">The method's result.</param>
    /// <param name="bytes">The bytes the server wrote, a slice of the response payload.</param>
    /// <param name="response">The response that owns the buffers.</param>
    public R2P2ResultLease(TResult result, ReadOnlySequence<byte> bytes, R2P2Response response)
    {
        Result = result;
        Bytes = bytes;
        _response = response;
    }

    /// <summary>The method's result.</summary>
    public TResult Result { get; }

    /// <summary>The bytes the server wrote into the destination, valid until the lease is disposed.</summary>
    public ReadOnlySequence<byte> Bytes { get; }

    /// <summary>Returns the receive buffers to the pool.</summary>
    public void Dispose() => _response.Dispose();
}
