using System;
using System.Buffers;
using BenchmarkDotNet.Attributes;
using MemoryPack;
using TailGuard.R2P2.Stubs;

namespace TailGuard.Benchmarks.R2P2Stubs;

/// <summary>
/// Encoding then decoding one argument set, the way a generated client writes it and a generated dispatcher reads it
/// (method id, then the arguments; the key comes back as a view), against MemoryPack for the same values into the same
/// buffer writer. MemoryPack's decode materializes the key as a new array (and the name as a new string); ours views the
/// key in place and allocates only the string.
/// </summary>
[MemoryDiagnoser]
public class ArgumentCodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private ArgumentSet _arguments;
    private ArgumentSetWithName _withName;

    [GlobalSetup]
    public void Setup()
    {
        byte[] key = new byte[32];
        new Random(7).NextBytes(key);
        _arguments = new ArgumentSet { Id = 42, Timestamp = 638_000_000_000_000_000, Score = 0.875, Flag = true, Tag = new Guid("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), Key = key };
        _withName = new ArgumentSetWithName { Id = 42, Timestamp = 638_000_000_000_000_000, Score = 0.875, Flag = true, Tag = _arguments.Tag, Key = key, Name = "replica-eu-west-3" };
    }

    [Benchmark(Baseline = true)]
    public long TailGuard()
    {
        _buffer.ResetWrittenCount();
        var writer = new PayloadWriter(_buffer);
        writer.WriteUInt16(0x1234);
        writer.WriteInt32(_arguments.Id);
        writer.WriteInt64(_arguments.Timestamp);
        writer.WriteDouble(_arguments.Score);
        writer.WriteBoolean(_arguments.Flag);
        writer.WriteUnmanaged(_arguments.Tag);
        writer.WriteBytes(_arguments.Key);
        writer.Flush();

        var reader = new PayloadReader(_buffer.WrittenSpan);
        if (!reader.TryReadUInt16(out ushort method) || !reader.TryReadInt32(out int id) || !reader.TryReadInt64(out long timestamp)
            || !reader.TryReadDouble(out double score) || !reader.TryReadBoolean(out bool flag) || !reader.TryReadUnmanaged(out Guid tag)
            || !reader.TryReadBytes(out ReadOnlySpan<byte> key))
        {
            throw new InvalidOperationException("round trip failed");
        }

        return method + id + timestamp + (long)score + (flag ? 1 : 0) + tag.GetHashCode() + key[31];
    }

    [Benchmark]
    public long MemoryPack()
    {
        _buffer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_buffer, _arguments);
        ArgumentSet decoded = MemoryPackSerializer.Deserialize<ArgumentSet>(_buffer.WrittenSpan);
        return decoded.Id + decoded.Timestamp + (long)decoded.Score + (decoded.Flag ? 1 : 0) + decoded.Tag.GetHashCode() + decoded.Key[31];
    }

    [Benchmark]
    public long TailGuard_WithString()
    {
        _buffer.ResetWrittenCount();
        var writer = new PayloadWriter(_buffer);
        writer.WriteUInt16(0x1234);
        writer.WriteInt32(_withName.Id);
        writer.WriteInt64(_withName.Timestamp);
        writer.WriteDouble(_withName.Score);
        writer.WriteBoolean(_withName.Flag);
        writer.WriteUnmanaged(_withName.Tag);
        writer.WriteBytes(_withName.Key);
        writer.WriteString(_withName.Name);
        writer.Flush();

        var reader = new PayloadReader(_buffer.WrittenSpan);
        if (!reader.TryReadUInt16(out ushort method) || !reader.TryReadInt32(out int id) || !reader.TryReadInt64(out long timestamp)
            || !reader.TryReadDouble(out double score) || !reader.TryReadBoolean(out bool flag) || !reader.TryReadUnmanaged(out Guid tag)
            || !reader.TryReadBytes(out ReadOnlySpan<byte> key) || !reader.TryReadString(4096, out string name))
        {
            throw new InvalidOperationException("round trip failed");
        }

        return method + id + timestamp + (long)score + (flag ? 1 : 0) + tag.GetHashCode() + key[31] + name.Length;
    }

    [Benchmark]
    public long MemoryPack_WithString()
    {
        _buffer.ResetWrittenCount();
        MemoryPackSerializer.Serialize(_buffer, _withName);
        ArgumentSetWithName decoded = MemoryPackSerializer.Deserialize<ArgumentSetWithName>(_buffer.WrittenSpan);
        return decoded.Id + decoded.Timestamp + (long)decoded.Score + (decoded.Flag ? 1 : 0) + decoded.Tag.GetHashCode() + decoded.Key[31] + decoded.Name.Length;
    }
}
