namespace TailGuard.R2P2;

/// <summary>
/// Owns the memory behind <see cref="PacketBuffer"/>s and takes them back: a <see cref="PacketBufferPool"/>, or a
/// transport that hands out frames of its own memory region (see <see cref="PacketTransport"/>).
/// </summary>
public interface IPacketBufferOwner
{
    /// <summary>Takes back a buffer this owner handed out; called once per hand-out, by <see cref="PacketBuffer.Return"/>.</summary>
    /// <param name="buffer">The buffer; its holder must not use it afterwards.</param>
    void Reclaim(PacketBuffer buffer);
}
