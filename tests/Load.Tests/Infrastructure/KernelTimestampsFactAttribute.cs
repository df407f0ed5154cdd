using System.Net;
using TailGuard.Load.R2P2;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.Infrastructure;

/// <summary>A fact about kernel receive timestamps: skipped, with the reason, where the kernel or platform refuses them.</summary>
public sealed class KernelTimestampsFactAttribute : FactAttribute
{
    public KernelTimestampsFactAttribute()
    {
        using var probe = KernelTimestampingUdpTransport.TryBind(new IPEndPoint(IPAddress.Loopback, 0), new UdpTransportOptions());
        if (probe is null)
        {
            Skip = "needs kernel receive timestamps (SO_TIMESTAMPING on a 64-bit Linux UDP socket), which this machine refuses";
        }
    }
}
