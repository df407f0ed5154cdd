using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// A third party on the network, written as the attacker: it answers calls it was never sent, ACKs requests to steal
/// their bodies, and DROPs calls it does not serve. A client talking straight to its server (the default) takes
/// responses, ACKs and DROPs from that server only, and a DROP only before the ACK of a multi-packet call
/// (docs/security.md, "Source binding").
/// </summary>
public abstract class SourceBindingTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    // A call timer that cannot fire while a test looks at a call: with the default second, a machine that stalls the test
    // for that long between the call and the check saw the call end in a timeout, reported as if the forged packet ended it.
    private static readonly R2P2ClientOptions Patient = new() { Timeout = Payloads.Generous };
    private readonly List<IDisposable> _owned = [];

    protected SourceBindingTests(TestNetwork network) => Network = network;

    protected TestNetwork Network { get; }

    [Fact]
    public async Task A_third_party_cannot_answer_a_call_whose_server_is_silent()
    {
        var server = Peer();
        var attacker = Peer();
        var client = Client(server.Address, new R2P2ClientOptions { Timeout = TimeSpan.FromMilliseconds(400) });

        var calls = Enumerable.Range(0, 3).Select(_ => client.CallAsync("secret?"u8.ToArray()).AsTask()).ToArray();
        var requests = Enumerable.Range(0, 3).Select(_ => server.Receive()).ToArray();
        foreach (var request in requests)
        {
            attacker.Send(client.LocalAddress, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "forged"u8));
        }

        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<R2P2TimeoutException>(() => call.WaitAsync(Payloads.Generous));
        }

        Assert.Equal(0, client.Statistics.Responses);
        Assert.Equal(3, client.Statistics.Timeouts);
    }

    [Fact]
    public async Task Spraying_responses_for_every_rid_never_completes_a_call_to_a_live_server()
    {
        var server = Own(new R2P2Server(Network.Bind(), new EchoHandler()));
        var attacker = Peer();
        var client = Client(server.LocalAddress);
        using var stop = new CancellationTokenSource();

        var forged = Wire.Packet(Wire.Response, Wire.OnePacket, 0, 1, "forged"u8);
        var spray = Task.Run(() =>
        {
            var rid = 0;
            while (!stop.IsCancellationRequested)
            {
                forged[4] = (byte)(rid >> 8);
                forged[5] = (byte)rid;
                attacker.Send(client.LocalAddress, forged);
                rid = (rid + 1) & 0x3FF; // the first 1024 rids, where a counter from 1 lives
                if (rid == 0)
                {
                    Thread.Sleep(1);
                }
            }
        });

        try
        {
            for (var i = 0; i < 300; i++)
            {
                var payload = Payloads.Make(16, tag: i);
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        // A forged response that completed the call would carry "forged", not the echo.
                        using var response = await client.CallAsync(payload).AsTask().WaitAsync(Payloads.Generous);
                        Assert.Equal(payload, Payloads.ToArray(response.Payload));
                        break;
                    }
                    catch (R2P2TimeoutException) when (attempt < 20)
                    {
                        // The flood may fill the client's inbox while a loaded machine starves its loop, and the real
                        // response is lost: spraying can deny service, never answer a call. Retry, as a caller would.
                    }
                }
            }
        }
        finally
        {
            stop.Cancel();
            await spray;
        }
    }

    [Fact]
    public async Task A_forged_ack_from_another_socket_gets_no_part_of_the_request_body()
    {
        var server = Peer();
        var attacker = Peer();
        var client = Client(server.Address, Patient);

        var call = client.CallAsync(Payloads.Make(5000)).AsTask();
        var first = server.Receive();
        attacker.Send(client.LocalAddress, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));

        Assert.False(attacker.TryReceive(Quiet, out _), "the request body went to the forged ACK's source");
        Assert.False(server.TryReceive(TimeSpan.FromMilliseconds(50), out _), "a forged ACK released the continuations");

        // The real ACK still releases them, to the server.
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        var rest = Enumerable.Range(0, 4).Select(_ => server.Receive()).ToArray();
        Assert.Equal([1, 2, 3, 4], rest.Select(p => (int)p.PacketOrder));
        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "done"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("done"u8.ToArray(), Payloads.ToArray(response.Payload));
    }

    [Fact]
    public async Task A_forged_drop_from_another_socket_does_not_end_the_call()
    {
        var server = Peer();
        var attacker = Peer();
        var client = Client(server.Address, Patient);

        var call = client.CallAsync("x"u8.ToArray()).AsTask();
        var request = server.Receive();
        attacker.Send(client.LocalAddress, Wire.Packet(0x41, Wire.OnePacket, request.RequestId, 1, "DROP"u8));
        await Task.Delay(100);
        Assert.False(call.IsCompleted, $"a forged DROP ended the call ({Outcome(call)})");

        server.Send(request.Source, Wire.Packet(Wire.Response, Wire.OnePacket, request.RequestId, 1, "ok"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("ok"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, client.Statistics.Drops);
    }

    [Fact]
    public async Task A_drop_after_the_ack_does_not_make_a_sent_request_look_safe_to_retry()
    {
        var server = Peer();
        var client = Client(server.Address, Patient);

        var call = client.CallAsync(Payloads.Make(3000)).AsTask();
        var first = server.Receive();
        server.Send(first.Source, Wire.Packet(0x31, Wire.OnePacket, first.RequestId, 1, "ACK"u8));
        _ = server.Receive();
        _ = server.Receive();

        // The body has left: the handler may be running. A DROP now (spoofed, or a broken server) must not say "never ran".
        server.Send(first.Source, Wire.Packet(0x41, Wire.OnePacket, first.RequestId, 1, "DROP"u8));
        await Task.Delay(100);
        Assert.False(call.IsCompleted, $"a DROP after the ACK ended the call ({Outcome(call)})");

        server.Send(first.Source, Wire.Packet(Wire.Response, Wire.OnePacket, first.RequestId, 1, "ran"u8));
        using var response = await call.WaitAsync(Payloads.Generous);
        Assert.Equal("ran"u8.ToArray(), Payloads.ToArray(response.Payload));
        Assert.Equal(0, client.Statistics.Drops);
    }

    private static string Outcome(Task call) => call.Exception?.InnerException?.GetType().Name ?? call.Status.ToString();

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected RawPeer Peer() => Own(new RawPeer(Network.Bind()));

    protected R2P2Client Client(PacketAddress destination, R2P2ClientOptions? options = null) => Own(new R2P2Client(Network.Bind(), destination, options));

    protected T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}

public sealed class InMemorySourceBindingTests() : SourceBindingTests(new InMemoryTestNetwork());

public sealed class UdpSourceBindingTests() : SourceBindingTests(new UdpTestNetwork());
