using System;
using System.Buffers;
using System.Text;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Tests.R2P2.Stubs;

public class PayloadWriterTests
{
    private struct Pair
    {
        public int A;
        public short B;
    }

    [Fact]
    public void Values_are_written_little_endian_with_u32_length_prefixes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(buffer);
        writer.WriteUInt16(0x1234);
        writer.WriteInt32(-2);
        writer.WriteBoolean(true);
        writer.WriteBytes(new byte[] { 0xAA, 0xBB });
        writer.WriteString("é");
        writer.Flush();

        byte[] expected =
        {
            0x34, 0x12,
            0xFE, 0xFF, 0xFF, 0xFF,
            0x01,
            0x02, 0x00, 0x00, 0x00, 0xAA, 0xBB,
            0x02, 0x00, 0x00, 0x00, 0xC3, 0xA9,
        };
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Nothing_is_committed_before_flush()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new PayloadWriter(buffer);
        writer.WriteInt64(1);

        Assert.Equal(0, buffer.WrittenCount);
        writer.Flush();
        Assert.Equal(8, buffer.WrittenCount);
    }

    [Fact]
    public void Every_value_round_trips_through_a_writer_that_hands_out_minimal_spans()
    {
        var buffer = new SmallSpanBufferWriter();
        var writer = new PayloadWriter(buffer);
        writer.WriteByte(200);
        writer.WriteSByte(-100);
        writer.WriteInt16(-300);
        writer.WriteChar('€');
        writer.WriteUInt32(4_000_000_000);
        writer.WriteSingle(1.5f);
        writer.WriteDouble(-0.25);
        writer.WriteUnmanaged(new Pair { A = 9, B = -9 });
        writer.WriteBytes(new byte[300]);
        writer.WriteString("key-ü");
        writer.Flush();

        Assert.True(buffer.GetSpanCalls >= 10);
        var reader = new PayloadReader(buffer.WrittenBytes);
        Assert.True(reader.TryReadByte(out byte b) && b == 200);
        Assert.True(reader.TryReadSByte(out sbyte sb) && sb == -100);
        Assert.True(reader.TryReadInt16(out short s) && s == -300);
        Assert.True(reader.TryReadChar(out char c) && c == '€');
        Assert.True(reader.TryReadUInt32(out uint u) && u == 4_000_000_000);
        Assert.True(reader.TryReadSingle(out float f) && f == 1.5f);
        Assert.True(reader.TryReadDouble(out double d) && d == -0.25);
        Assert.True(reader.TryReadUnmanaged(out Pair pair) && pair.A == 9 && pair.B == -9);
        Assert.True(reader.TryReadBytes(out ReadOnlySpan<byte> bytes) && bytes.Length == 300);
        Assert.True(reader.TryReadString(100, out string text) && text == "key-ü");
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData("", 0, true)]
    [InlineData("abc", 3, true)]
    [InlineData("abcd", 3, false)]
    [InlineData("ééé", 6, true)]
    [InlineData("ééé", 5, false)]
    [InlineData(null, 100, false)]
    public void FitsString_checks_null_and_the_utf8_byte_count(string? value, int maxBytes, bool fits)
        => Assert.Equal(fits, PayloadWriter.FitsString(value, maxBytes));

    [Fact]
    public void Writing_allocates_nothing()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        byte[] key = Encoding.ASCII.GetBytes("some-key");
        AllocationReport report = AllocationWindows.OnThisThread(_ =>
        {
            buffer.ResetWrittenCount();
            Write(buffer, key);
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(2 + 4 + 8 + 4 + key.Length + 4 + 5, buffer.WrittenCount);
    }

    private static void Write(IBufferWriter<byte> buffer, byte[] key)
    {
        var writer = new PayloadWriter(buffer);
        writer.WriteUInt16(1);
        writer.WriteInt32(2);
        writer.WriteDouble(3);
        writer.WriteBytes(key);
        writer.WriteString("hello");
        writer.Flush();
    }
}
