using System.Buffers;

namespace TailGuard.R2P2;

/// <summary>
/// How one call made with an <see cref="IR2P2CallCallback"/> ended. A <c>ref struct</c>: it lives only while the callback
/// runs, and so does <see cref="Payload"/>, a view over the client's receive buffers that go back to the pool as soon as
/// the callback returns. Copy what you need to keep.
/// </summary>
public readonly ref struct R2P2CallCompletion
{
    internal R2P2CallCompletion(R2P2CallStatus status, ReadOnlySequence<byte> payload, ushort requestId, object? state)
    {
        Status = status;
        Payload = payload;
        RequestId = requestId;
        State = state;
    }

    /// <summary>How the call ended.</summary>
    public R2P2CallStatus Status { get; }

    /// <summary>Whether the response arrived (<see cref="Status"/> is <see cref="R2P2CallStatus.Completed"/>).</summary>
    public bool Succeeded => Status == R2P2CallStatus.Completed;

    /// <summary>The response payload when <see cref="Succeeded"/>, otherwise empty. Valid only during the callback.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>The rid the call had on the wire (for matching it with timestamps a transport took).</summary>
    public ushort RequestId { get; }

    /// <summary>The state given when the call was started.</summary>
    public object? State { get; }
}
