using System;
using System.Buffers;
using System.Linq;
using CsCheck;
using TailGuard.EndToEnd.Tests.Infrastructure;
using TailGuard.EndToEnd.Tests.Services;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;
using static TailGuard.EndToEnd.Tests.Infrastructure.DispatcherProbe;

namespace TailGuard.EndToEnd.Tests;

/// <summary>
/// Payloads a hostile or broken client could send, straight into a generated dispatcher: each gets an error response,
/// no exception escapes, and nothing past the payload is read.
/// </summary>
public sealed class HostilePayloadTests
{
    private const byte Ok = (byte)R2P2ServiceStatus.Ok;
    private const byte MalformedRequest = (byte)R2P2ServiceStatus.MalformedRequest;
    private const byte UnknownMethod = (byte)R2P2ServiceStatus.UnknownMethod;
    private const byte MalformedArguments = (byte)R2P2ServiceStatus.MalformedArguments;

    private static readonly string[] MethodNames = typeof(IKitchenSink).GetMethods().Select(m => m.Name).ToArray();

    private readonly KitchenSinkDispatcher _dispatcher = new(new KitchenSink());

    private static ushort Id(string name) => MethodId.FromName(name);

    [Fact]
    public void A_payload_too_short_for_a_method_id_is_a_malformed_request()
    {
        Assert.Equal(new[] { MalformedRequest }, Call(_dispatcher, Array.Empty<byte>()));
        Assert.Equal(new[] { MalformedRequest }, Call(_dispatcher, new byte[] { 0x42 }));
    }

    [Fact]
    public void An_unknown_method_id_gets_UnknownMethod()
    {
        ushort unknown = Enumerable.Range(0, 65536).Select(i => (ushort)i).First(i => !MethodNames.Any(n => Id(n) == i));

        Assert.Equal(new[] { UnknownMethod }, Call(_dispatcher, Request(unknown, 1, 2, 3)));
    }

    [Theory]
    [InlineData(0xFFFFFFFFu, 0)]
    [InlineData(0x80000000u, 4)]
    [InlineData(10u, 5)]
    [InlineData(1u, 0)]
    public void A_byte_length_beyond_the_payload_gets_MalformedArguments(uint declared, int present)
        => Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Length"), Block(declared, new byte[present]))));

    [Fact]
    public void A_length_that_fits_only_with_bytes_after_the_payload_is_not_read_past_it()
    {
        // The payload is the first 8 bytes of the array; the length claims 4 bytes of which 2 lie past the payload.
        byte[] memory = Concat(Request(Id("Length"), Block(4, 1, 2)), new byte[] { 0xCA, 0xFE });
        var payload = new ReadOnlyMemory<byte>(memory, 0, memory.Length - 2);

        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, payload));
    }

    [Fact]
    public void Truncated_fixed_size_arguments_get_MalformedArguments()
    {
        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Ints"), 1, 0, 0, 0, 2, 0)));
        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Twice"), new byte[10])));
        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Not"))));
    }

    [Fact]
    public void A_boolean_other_than_0_or_1_gets_MalformedArguments()
        => Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Not"), 2)));

    [Theory]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 })]
    public void Invalid_utf8_gets_MalformedArguments(byte[] utf8)
        => Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Concat"), Concat(Block((uint)utf8.Length, utf8), Block(0)))));

    [Fact]
    public void A_string_over_its_bound_gets_MalformedArguments()
    {
        byte[] seventeen = Enumerable.Repeat((byte)'x', 17).ToArray();

        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Concat"), Concat(Block(1, (byte)'a'), Block(17, seventeen)))));
        Assert.Equal(Ok, Call(_dispatcher, Request(Id("Concat"), Concat(Block(1, (byte)'a'), Block(16, seventeen[..16]))))[0]);
    }

    [Fact]
    public void A_destination_capacity_over_its_bound_gets_MalformedArguments()
    {
        byte[] capacity = BitConverter.GetBytes(65537u);

        Assert.Equal(new[] { MalformedArguments }, Call(_dispatcher, Request(Id("Reverse"), Concat(Block(1, 7), capacity))));
    }

    [Fact]
    public void A_well_formed_request_split_across_segments_is_served()
    {
        byte[] whole = Request(Id("Length"), Block(6, 1, 2, 3, 4, 5, 6));
        var sequence = Segments.Split(whole, 3, 5, 9);

        byte[] response = Call(_dispatcher, sequence);

        Assert.Equal(new byte[] { Ok, 6, 0, 0, 0 }, response);
    }

    [Fact]
    public void Random_arguments_for_every_method_never_throw_and_always_answer()
    {
        ushort[] ids = MethodNames.Select(Id).ToArray();
        Gen.Select(Gen.Int[0, ids.Length - 1], Gen.Byte.Array[0, 48]).Sample((index, arguments) =>
        {
            byte[] response = Call(_dispatcher, Request(ids[index], arguments));

            Assert.NotEmpty(response);
            Assert.Contains(response[0], new byte[] { Ok, MalformedArguments, (byte)R2P2ServiceStatus.HandlerFailed, (byte)R2P2ServiceStatus.InvalidResult });
            if (response[0] != Ok)
            {
                Assert.Single(response);
            }
        }, seed: "3Wq1ZV5Jh0aA", iter: 5000);
    }
}

internal static class Segments
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    /// <summary>Splits <paramref name="bytes"/> at the given offsets into a multi-segment sequence.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] offsets)
    {
        int start = 0;
        Segment? first = null;
        Segment? last = null;
        foreach (int end in offsets.Append(bytes.Length))
        {
            last = new Segment(bytes.AsMemory(start, end - start), last);
            first ??= last;
            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }
}
