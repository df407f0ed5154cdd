using System;
using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace TailGuard.R2P2.Stubs;

/// <summary>The response-side pieces generated dispatchers and clients share (see <c>docs/wire-format.md</c>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ServiceResponse
{
    /// <summary>The bytes in front of the destination bytes of a destination method's response: status, i32 result, u32 length.</summary>
    public const int DestinationHeaderSize = 1 + sizeof(int) + sizeof(uint);

    /// <summary>Writes an error response: the status byte alone.</summary>
    /// <param name="response">The send buffers.</param>
    /// <param name="status">The error status.</param>
    public static void WriteError(IBufferWriter<byte> response, R2P2ServiceStatus status)
    {
        response.GetSpan(1)[0] = (byte)status;
        response.Advance(1);
    }

    /// <summary>
    /// Reserves room in the send buffers for a destination method's response and returns the destination span the
    /// implementation writes into (no copy). Nothing is committed until <see cref="CommitDestination"/>, so an
    /// implementation that throws leaves the buffers free for an error response.
    /// </summary>
    /// <param name="response">The send buffers.</param>
    /// <param name="capacity">The capacity the client asked for (already bounded).</param>
    /// <param name="reserved">The whole reserved span, to pass to <see cref="CommitDestination"/>.</param>
    /// <returns>The destination span of <paramref name="capacity"/> bytes.</returns>
    public static Span<byte> ReserveDestination(IBufferWriter<byte> response, int capacity, out Span<byte> reserved)
    {
        reserved = response.GetSpan(DestinationHeaderSize + capacity).Slice(0, DestinationHeaderSize + capacity);
        return reserved.Slice(DestinationHeaderSize);
    }

    /// <summary>
    /// Commits a destination method's response: status Ok, the implementation's result, then the first
    /// <paramref name="result"/> destination bytes when <c>0 &lt;= result &lt;= capacity</c>, otherwise none.
    /// </summary>
    /// <param name="response">The send buffers.</param>
    /// <param name="reserved">The span <see cref="ReserveDestination"/> returned.</param>
    /// <param name="result">What the implementation returned.</param>
    public static void CommitDestination(IBufferWriter<byte> response, Span<byte> reserved, int result)
    {
        int capacity = reserved.Length - DestinationHeaderSize;
        int sent = (uint)result <= (uint)capacity ? result : 0;
        reserved[0] = (byte)R2P2ServiceStatus.Ok;
        BinaryPrimitives.WriteInt32LittleEndian(reserved.Slice(1), result);
        BinaryPrimitives.WriteUInt32LittleEndian(reserved.Slice(1 + sizeof(int)), (uint)sent);
        response.Advance(DestinationHeaderSize + sent);
    }

    /// <summary>Reads the status byte of a response; throws unless it is <see cref="R2P2ServiceStatus.Ok"/>.</summary>
    /// <param name="reader">The response reader, at the start of the payload.</param>
    /// <exception cref="R2P2MalformedResponseException">The payload is empty.</exception>
    /// <exception cref="R2P2ServiceException">The server answered with an error status.</exception>
    public static void ReadOk(ref PayloadReader reader)
    {
        if (!reader.TryReadByte(out byte status))
        {
            ThrowMalformed();
        }

        if (status != (byte)R2P2ServiceStatus.Ok)
        {
            ThrowStatus(status);
        }
    }

    /// <summary>The error a client raises for a response that does not follow the wire format, for a <c>throw</c> statement.</summary>
    /// <returns>The exception to throw.</returns>
    public static R2P2MalformedResponseException MalformedResponse()
        => new("The R2P2 service response does not follow the service wire format.");

    /// <summary>Throws the error a client raises for a response that does not follow the wire format.</summary>
    /// <exception cref="R2P2MalformedResponseException">Always.</exception>
    [DoesNotReturn]
    public static void ThrowMalformed()
        => throw MalformedResponse();

    /// <summary>
    /// Answers a call whose implementation threw: tells <paramref name="observer"/> (whose own exceptions are swallowed
    /// so nothing escapes into the receive loop) and writes <see cref="R2P2ServiceStatus.HandlerFailed"/>. The exception
    /// itself never goes on the wire: it may hold data that must not leave the server.
    /// </summary>
    /// <param name="response">The send buffers.</param>
    /// <param name="exception">What the implementation threw.</param>
    /// <param name="observer">The dispatcher's observer, if any.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An observer's failure must not reach the receive loop.")]
    public static void WriteHandlerFailed(IBufferWriter<byte> response, Exception exception, Action<Exception>? observer)
    {
        if (observer is not null)
        {
            try
            {
                observer(exception);
            }
            catch (Exception)
            {
                // The observer is diagnostics only; the call is answered regardless.
            }
        }

        WriteError(response, R2P2ServiceStatus.HandlerFailed);
    }

    [DoesNotReturn]
    private static void ThrowStatus(byte status) => throw new R2P2ServiceException((R2P2ServiceStatus)status);
}
