using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using CsCheck;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class PayloadReaderTests
{
    [Fact]
    public void Primitives_are_read_little_endian()
    {
        byte[] bytes = { 0x01, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
        var reader = new PayloadReader(bytes);

        Assert.True(reader.TryReadBoolean(out bool flag));
        Assert.True(reader.TryReadUInt16(out ushort u16));
        Assert.True(reader.TryReadInt32(out int i32));
        Assert.True(reader.TryReadUInt64(out ulong u64));

        Assert.True(flag);
        Assert.Equal(0x1234, u16);
        Assert.Equal(0x12345678, i32);
        Assert.Equal(0x0102030405060708UL, u64);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void A_truncated_value_fails_and_consumes_nothing()
    {
        var reader = new PayloadReader(new byte[] { 1, 2, 3 });

        Assert.False(reader.TryReadInt32(out int value));
        Assert.Equal(0, value);
        Assert.Equal(0, reader.Consumed);
        Assert.True(reader.TryReadUInt16(out _));
        Assert.False(reader.TryReadUInt16(out _));
        Assert.Equal(2, reader.Consumed);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(255)]
    public void A_boolean_byte_other_than_0_or_1_is_malformed(byte raw)
    {
        var reader = new PayloadReader(new[] { raw });

        Assert.False(reader.TryReadBoolean(out _));
    }

    [Theory]
    [InlineData(5u)]
    [InlineData(0x7FFFFFFFu)]
    [InlineData(0xFFFFFFFFu)]
    public void A_byte_length_beyond_the_payload_fails_without_reading_outside_it(uint declared)
    {
        byte[] payload = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, declared);
        var reader = new PayloadReader(payload.AsSpan(0, 8));

        Assert.False(reader.TryReadBytes(out ReadOnlySpan<byte> bytes));
        Assert.True(bytes.IsEmpty);
        Assert.Equal(0, reader.Consumed);
    }

    [Fact]
    public void Bytes_are_a_view_into_the_payload_not_a_copy()
    {
        byte[] payload = { 3, 0, 0, 0, 7, 8, 9, 42 };
        var reader = new PayloadReader(payload);

        Assert.True(reader.TryReadBytes(out ReadOnlySpan<byte> bytes));

        payload[5] = 99;
        Assert.Equal(99, bytes[1]);
        Assert.Equal(1, reader.Remaining);
    }

    [Fact]
    public void A_byte_block_over_its_bound_is_rejected()
    {
        byte[] payload = { 4, 0, 0, 0, 1, 2, 3, 4 };
        var reader = new PayloadReader(payload);

        Assert.False(reader.TryReadBytes(out _, maxBytes: 3));
        Assert.True(reader.TryReadBytes(out ReadOnlySpan<byte> bytes, maxBytes: 4));
        Assert.Equal(4, bytes.Length);
    }

    [Fact]
    public void Strings_decode_valid_utf8()
    {
        byte[] text = Encoding.UTF8.GetBytes("héllo, 世界");
        byte[] payload = new byte[4 + text.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)text.Length);
        text.CopyTo(payload, 4);
        var reader = new PayloadReader(payload);

        Assert.True(reader.TryReadString(4096, out string value));
        Assert.Equal("héllo, 世界", value);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3 })]
    [InlineData(new byte[] { 0xFF, 0x41 })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    public void Invalid_utf8_is_rejected(byte[] utf8)
    {
        byte[] payload = new byte[4 + utf8.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)utf8.Length);
        utf8.CopyTo(payload, 4);
        var reader = new PayloadReader(payload);

        Assert.False(reader.TryReadString(4096, out string value));
        Assert.Equal(string.Empty, value);
        Assert.Equal(0, reader.Consumed);
    }

    [Fact]
    public void A_string_over_its_bound_is_rejected_before_decoding()
    {
        byte[] payload = new byte[4 + 10];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, 10);
        payload.AsSpan(4).Fill((byte)'a');
        var reader = new PayloadReader(payload);

        Assert.False(reader.TryReadString(9, out _));
        Assert.True(reader.TryReadString(10, out string value));
        Assert.Equal(new string('a', 10), value);
    }

    [Fact]
    public void A_length_over_its_bound_is_rejected()
    {
        byte[] payload = { 0x01, 0x00, 0x01, 0x00 };
        var reader = new PayloadReader(payload);

        Assert.False(reader.TryReadLength(65536, out int length));
        Assert.Equal(0, length);
        Assert.True(reader.TryReadLength(65537, out length));
        Assert.Equal(65537, length);
    }

    [Fact]
    public void Random_bytes_never_throw_or_read_past_the_payload()
    {
        Gen.Byte.Array[0, 64].Sample(payload =>
        {
            var reader = new PayloadReader(payload);
            for (int step = 0; step < 32; step++)
            {
                bool ok = (step % 7) switch
                {
                    0 => reader.TryReadBytes(out _),
                    1 => reader.TryReadString(16, out _),
                    2 => reader.TryReadInt64(out _),
                    3 => reader.TryReadBoolean(out _),
                    4 => reader.TryReadLength(100, out _),
                    5 => reader.TryReadUnmanaged(out decimal _),
                    _ => reader.TryReadUInt16(out _),
                };
                Assert.InRange(reader.Consumed, 0, payload.Length);
                _ = ok;
            }
        }, seed: "0N0XIzNsQ0O2", iter: 2000);
    }

    [Fact]
    public void Reading_allocates_nothing_for_values_and_byte_views()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new PayloadWriter(buffer);
        writer.WriteUInt16(7);
        writer.WriteInt64(-5);
        writer.WriteDouble(2.5);
        writer.WriteBytes(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        writer.WriteUnmanaged(new Guid("6f9619ff-8b86-d011-b42d-00cf4fc964ff"));
        writer.Flush();
        byte[] payload = buffer.WrittenSpan.ToArray();

        long sum = 0;
        AllocationReport report = AllocationWindows.OnThisThread(_ => sum += ReadAll(payload));

        report.AssertNoPerCallAllocation();
        Assert.NotEqual(0, sum);
    }

    private static long ReadAll(byte[] payload)
    {
        var reader = new PayloadReader(payload);
        bool ok = reader.TryReadUInt16(out ushort id) & reader.TryReadInt64(out long number) & reader.TryReadDouble(out double real)
            & reader.TryReadBytes(out ReadOnlySpan<byte> bytes) & reader.TryReadUnmanaged(out Guid guid);
        Assert.True(ok);
        return id + number + (long)real + bytes[7] + guid.GetHashCode();
    }
}
