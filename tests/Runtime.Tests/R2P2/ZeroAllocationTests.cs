using System;
using System.Buffers;
using System.Threading;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2;

/// <summary>
/// Steady state allocates nothing per call: on the calling thread (measured around the loop) and on the client's and
/// server's receive loop threads (each loop samples its own GC.GetAllocatedBytesForCurrentThread after every batch).
/// </summary>
public sealed class ZeroAllocationTests
{
    // Long enough for one-time lazy work inside the runtime to be done: Socket.SendTo (the portable UDP path) was seen
    // allocating 56 bytes once, around its 13 000th call, and never again.
    private const int WarmUp = 20_000;
    private const int Calls = 10_000;

    private static readonly R2P2PayloadWriter<int> WritePayload = static (writer, in value) =>
    {
        var span = writer.GetSpan(64);
        span[..64].Fill((byte)value);
        writer.Advance(64);
    };

    public static TheoryData<string> Networks => ["in-memory", "udp-loopback", "udp-loopback-portable"];

    [Theory]
    [MemberData(nameof(Networks))]
    public void Single_packet_calls_allocate_nothing_on_the_caller_client_loop_or_server_loop(string networkName)
    {
        TestNetwork network = networkName switch
        {
            "in-memory" => new InMemoryTestNetwork(),
            "udp-loopback" => new UdpTestNetwork(),
            _ => new UdpTestNetwork(batchedSystemCalls: false),
        };
        using var server = new R2P2Server(network.Bind(), new EchoHandler());
        using var client = new R2P2Client(network.Bind(), server.LocalAddress);

        RunCalls(client, WarmUp);
        Settle(client, server);
        var clientLoopBefore = client.ReceiveLoopAllocatedBytes;
        var serverLoopBefore = server.ReceiveLoopAllocatedBytes;
        var callerBefore = GC.GetAllocatedBytesForCurrentThread();

        RunCalls(client, Calls);

        var callerAllocated = GC.GetAllocatedBytesForCurrentThread() - callerBefore;
        Settle(client, server);
        Assert.Equal(0, callerAllocated);
        Assert.Equal(0, client.ReceiveLoopAllocatedBytes - clientLoopBefore);
        Assert.Equal(0, server.ReceiveLoopAllocatedBytes - serverLoopBefore);
        Assert.Equal(WarmUp + Calls, client.Statistics.Responses);
    }

    [Fact]
    public void The_loop_measurement_sees_a_handler_that_allocates()
    {
        var network = new InMemoryTestNetwork();
        using var server = new R2P2Server(network.Bind(), new AllocatingHandler());
        using var client = new R2P2Client(network.Bind(), server.LocalAddress);

        RunCalls(client, 100);
        Settle(client, server);
        var before = server.ReceiveLoopAllocatedBytes;
        RunCalls(client, 1_000);
        Settle(client, server);

        Assert.True(server.ReceiveLoopAllocatedBytes - before >= 1_000 * 64, "the server loop's allocations were not seen");
    }

    private static void RunCalls(R2P2Client client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var call = client.CallAsync(in i, WritePayload);
            var spins = 0;
            while (!call.IsCompleted)
            {
                if (++spins > 50)
                {
                    Thread.Yield();
                }
            }

            using var response = call.Result;
            if (response.Payload.Length != 64 || response.Payload.FirstSpan[0] != (byte)i)
            {
                throw new InvalidOperationException("Wrong echo.");
            }
        }
    }

    /// <summary>Waits until both loops went round twice more, so their last samples cover all the work done.</summary>
    private static void Settle(R2P2Client client, R2P2Server server)
    {
        var clientTarget = client.ReceiveLoopIterations + 2;
        var serverTarget = server.ReceiveLoopIterations + 2;
        var deadline = DateTime.UtcNow + Payloads.Generous;
        while ((client.ReceiveLoopIterations < clientTarget || server.ReceiveLoopIterations < serverTarget) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
    }

    private sealed class AllocatingHandler : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response) => response.Write(request.Payload.ToArray());
    }
}
