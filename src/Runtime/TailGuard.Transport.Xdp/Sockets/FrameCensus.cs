namespace TailGuard.Transport.Xdp.Sockets;

/// <summary>
/// Where every UMEM frame is at one moment: free, with the kernel for receiving (fill ring, being filled, or on the RX
/// ring), held by the application (rented, handed to a receiver, or parked for a next hop), or with the kernel for
/// sending (TX ring or completion ring). The four always add up to <see cref="Total"/>; a frame lost on some path
/// would show as a shortfall. Exact only while no thread receives or sends.
/// </summary>
internal readonly record struct FrameCensus(int Free, int Receiving, int Held, int Sending, int Total)
{
    public int Counted => Free + Receiving + Held + Sending;
}
