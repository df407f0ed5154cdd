using System;
using System.Buffers;
using System.Buffers.Binary;
using TailGuard.R2P2;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class ServiceResponseTests
{
    [Fact]
    public void An_error_response_is_the_status_byte_alone()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ServiceResponse.WriteError(buffer, R2P2ServiceStatus.UnknownMethod);

        Assert.Equal(new byte[] { 2 }, buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_destination_result_in_range_sends_that_many_bytes_written_in_place()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Span<byte> destination = ServiceResponse.ReserveDestination(buffer, 8, out Span<byte> reserved);
        destination[0] = 0xAB;
        destination[1] = 0xCD;
        destination[2] = 0xEF;
        ServiceResponse.CommitDestination(buffer, reserved, 3);

        Assert.Equal(new byte[] { 0, 3, 0, 0, 0, 3, 0, 0, 0, 0xAB, 0xCD, 0xEF }, buffer.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    [InlineData(int.MinValue)]
    public void A_destination_result_out_of_range_is_sent_with_no_bytes(int result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Span<byte> destination = ServiceResponse.ReserveDestination(buffer, 8, out Span<byte> reserved);
        destination.Fill(0x55);
        ServiceResponse.CommitDestination(buffer, reserved, result);

        Assert.Equal(ServiceResponse.DestinationHeaderSize, buffer.WrittenCount);
        Assert.Equal(result, BinaryPrimitives.ReadInt32LittleEndian(buffer.WrittenSpan.Slice(1)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(buffer.WrittenSpan.Slice(5)));
    }

    [Fact]
    public void ReadOk_accepts_ok_and_throws_the_status_of_an_error()
    {
        var ok = new PayloadReader(new byte[] { 0, 42 });
        ServiceResponse.ReadOk(ref ok);
        Assert.Equal(1, ok.Consumed);

        R2P2ServiceException error = Assert.Throws<R2P2ServiceException>(() =>
        {
            var reader = new PayloadReader(new byte[] { 4 });
            ServiceResponse.ReadOk(ref reader);
        });
        Assert.Equal(R2P2ServiceStatus.HandlerFailed, error.Status);
        Assert.Contains("HandlerFailed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadOk_on_an_empty_payload_is_a_malformed_response()
        => Assert.Throws<R2P2MalformedResponseException>(() =>
        {
            var reader = new PayloadReader(ReadOnlySpan<byte>.Empty);
            ServiceResponse.ReadOk(ref reader);
        });

    [Fact]
    public void A_handler_failure_reaches_the_observer_and_an_observer_failure_is_contained()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Exception? seen = null;
        var boom = new InvalidOperationException("secret detail");
        ServiceResponse.WriteHandlerFailed(buffer, boom, e => seen = e);
        ServiceResponse.WriteHandlerFailed(buffer, boom, _ => throw new InvalidOperationException("observer broke"));

        Assert.Same(boom, seen);
        Assert.Equal(new byte[] { 4, 4 }, buffer.WrittenSpan.ToArray());
    }
}
