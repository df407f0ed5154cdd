using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Distributed;

namespace TailGuard.Load.Tests.Agents;

/// <summary>
/// The agent protocol's lines are bounded (docs/load.md: "newline-delimited JSON messages of at most 64 MiB"), so a peer
/// cannot grow the other side's memory: a line of exactly the bound is read, one byte more is refused.
/// </summary>
public sealed class AgentChannelTests
{
    [Fact]
    public async Task A_message_of_exactly_the_bound_is_read()
    {
        var line = Message(AgentChannel.MaxLineBytes);
        await using var channel = new AgentChannel(new MemoryStream(Concat(line, "\n"u8.ToArray())));

        var message = await channel.ReceiveAsync(CancellationToken.None);

        Assert.NotNull(message);
        Assert.Equal("error", message.Type);
        Assert.Equal(AgentChannel.MaxLineBytes - Envelope.Length, message.Message!.Length);
    }

    [Fact]
    public async Task A_message_one_byte_over_the_bound_is_refused()
    {
        var line = Message(AgentChannel.MaxLineBytes + 1);
        await using var channel = new AgentChannel(new MemoryStream(Concat(line, "\n"u8.ToArray())));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => channel.ReceiveAsync(CancellationToken.None));
        Assert.Contains($"longer than {AgentChannel.MaxLineBytes} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_never_sends_a_newline_is_refused_after_the_bound_not_read_forever()
    {
        var stream = new EndlessStream();
        await using var channel = new AgentChannel(stream);

        await Assert.ThrowsAsync<InvalidDataException>(() => channel.ReceiveAsync(CancellationToken.None));

        // One read past the bound at most: the refusal comes from the byte count, not from running out of input.
        Assert.InRange(stream.Served, AgentChannel.MaxLineBytes + 1, AgentChannel.MaxLineBytes + 64 * 1024);
    }

    [Fact]
    public async Task Sending_a_message_over_the_bound_fails_here_and_writes_nothing()
    {
        var sink = new MemoryStream();
        await using var channel = new AgentChannel(sink);
        var message = new AgentMessage { Type = "error", Message = new string('x', AgentChannel.MaxLineBytes) };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => channel.SendAsync(message, CancellationToken.None));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sink.Length);
    }

    private static readonly byte[] Envelope = Encoding.UTF8.GetBytes("{\"type\":\"error\",\"message\":\"\"}");

    /// <summary>A valid error message whose JSON line is <paramref name="length"/> bytes long.</summary>
    private static byte[] Message(int length)
    {
        var bytes = new byte[length];
        var prefix = "{\"type\":\"error\",\"message\":\""u8;
        prefix.CopyTo(bytes);
        bytes.AsSpan(prefix.Length, length - Envelope.Length).Fill((byte)'x');
        "\"}"u8.CopyTo(bytes.AsSpan(length - 2));
        return bytes;
    }

    private static byte[] Concat(byte[] first, byte[] second)
    {
        var all = new byte[first.Length + second.Length];
        first.CopyTo(all, 0);
        second.CopyTo(all, first.Length);
        return all;
    }

    /// <summary>A peer that sends 'x' forever and counts what it served.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)'x');
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
