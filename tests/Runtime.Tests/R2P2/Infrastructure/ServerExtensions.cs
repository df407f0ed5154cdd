using System;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

internal static class ServerExtensions
{
    /// <summary>The server's pending reassembly count once it reaches <paramref name="expected"/> (or the timeout passes).</summary>
    public static int PendingReassembliesEventually(this R2P2Server server, int expected)
    {
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while (server.PendingReassemblies != expected && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        return server.PendingReassemblies;
    }
}
