namespace TailGuard.R2P2;

/// <summary>Hands out packet buffers: a <see cref="PacketTransport"/> (its own memory) or a <see cref="PacketBufferPool"/>.</summary>
public interface IPacketBufferSource
{
    /// <summary>Rents a buffer with room for at least <paramref name="capacity"/> bytes (length 0, no address).</summary>
    /// <param name="capacity">The bytes the caller needs.</param>
    /// <returns>The buffer; the caller owns it until it calls <see cref="PacketBuffer.Return"/> or sends it.</returns>
    PacketBuffer Rent(int capacity);
}
