using System;
using System.Buffers;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Simulation;
using TailGuard.Tests.R2P2.Infrastructure;
using static TailGuard.Tests.R2P2.Infrastructure.Condition;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// Amplification (docs/security.md, "Amplification"): a spoofed 20-byte request makes an R2P2 server send its whole
/// response to the forged source. The optional limits bound the size of a response and the bytes per second one
/// destination receives; a client that answered an ACK proved its address and is exempt by default.
/// </summary>
public sealed class ResponseLimitTests : IDisposable
{
    private readonly InMemoryNetwork _network = new(seed: 17, inboxCapacity: 65_536);
    private readonly System.Collections.Generic.List<IDisposable> _owned = [];

    [Fact]
    public void A_response_larger_than_the_limit_is_not_sent_to_a_one_packet_request()
    {
        var server = Server(new ResponseLimits { MaxResponseBytes = 1000 });
        var victim = Own(new RawPeer(_network.Bind("10.9.9.9:0")));

        // The attacker forges the victim's address: here the victim itself sends what the attacker would.
        victim.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 1, 1, "4000"u8));
        victim.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, 2, 1, "900"u8));

        var answer = victim.Receive();
        Assert.Equal(2, answer.RequestId);
        Assert.Equal(900, answer.Payload.Length);
        Assert.False(victim.TryReceive(TimeSpan.FromMilliseconds(200), out _), "the large response was sent");
        Assert.Equal(1, server.Statistics.LimitedResponses);
        Assert.Equal(1, server.Statistics.Responses);
    }

    [Fact]
    public async Task A_destination_receives_no_more_than_its_rate_and_other_destinations_are_unaffected()
    {
        var server = Server(new ResponseLimits { BytesPerSecondPerDestination = 10_000, BurstBytesPerDestination = 10_000 });
        var victim = Own(new RawPeer(_network.Bind("10.9.9.9:0")));
        var bystander = Own(new R2P2Client(_network.Bind("10.0.0.5:0"), server.LocalAddress));

        for (ushort rid = 0; rid < 100; rid++)
        {
            victim.Send(server.LocalAddress, Wire.Packet(Wire.Request, Wire.OnePacket, rid, 1, "1000"u8));
        }

        await Eventually(() => server.Statistics.Requests == 100, "every request was handled");
        var received = 0;
        while (victim.TryReceive(TimeSpan.FromMilliseconds(100), out _))
        {
            received++;
        }

        // 10,000 bytes of burst, plus what a second refills while the test runs: far below the 100 KB asked for.
        Assert.InRange(received, 9, 30);
        Assert.Equal(100 - received, server.Statistics.LimitedResponses);
        using var response = await bystander.CallAsync("1000"u8.ToArray()).AsTask().WaitAsync(Payloads.Generous);
        Assert.Equal(1000, response.Payload.Length);
    }

    [Fact]
    public async Task A_client_that_answered_the_ack_is_exempt_by_default()
    {
        var server = Server(new ResponseLimits { MaxResponseBytes = 100 });
        var client = Own(new R2P2Client(_network.Bind("10.0.0.5:0"), server.LocalAddress));

        var request = new byte[3000];
        "5000"u8.CopyTo(request);
        using var response = await client.CallAsync(request).AsTask().WaitAsync(Payloads.Generous);

        Assert.Equal(5000, response.Payload.Length);
        Assert.Equal(0, server.Statistics.LimitedResponses);
    }

    [Fact]
    public void Limits_are_validated()
    {
        using var transport = _network.Bind("10.0.0.3:0");
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new SizedHandler(), new R2P2ServerOptions { ResponseLimits = new ResponseLimits { MaxResponseBytes = -1 }, OwnsTransports = false }));
        Assert.Throws<ArgumentException>(() => new R2P2Server(transport, new SizedHandler(), new R2P2ServerOptions { ResponseLimits = new ResponseLimits { MaxDestinations = 0 }, OwnsTransports = false }));
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private R2P2Server Server(ResponseLimits limits) => Own(new R2P2Server(_network.Bind("10.0.0.1:9000"), new SizedHandler(), new R2P2ServerOptions { ResponseLimits = limits }));

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Answers with as many bytes as the request's leading ASCII number says.</summary>
    private sealed class SizedHandler : IR2P2Handler
    {
        public void Handle(in R2P2Request request, IBufferWriter<byte> response)
        {
            var text = System.Text.Encoding.ASCII.GetString(request.Payload.ToArray()).TrimEnd('\0');
            var size = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
            response.GetSpan(size)[..size].Fill(7);
            response.Advance(size);
        }
    }
}
