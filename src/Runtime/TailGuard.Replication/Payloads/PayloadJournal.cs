using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace TailGuard.Replication.Payloads;

/// <summary>
/// The payloads of the metadata-only writes a replica applied since its last snapshot, by log index, in memory and in
/// append-only segment files (docs/replication.md, "Durability"). The Raft log holds only metadata, so without this a
/// replica restarting from its snapshot could not replay the entries after it, and a peer missing a payload could not
/// recover it after the request left every parked table. A new segment starts at each snapshot; a segment is deleted
/// once the snapshot after the one that follows it exists, so the last two snapshot intervals stay recoverable.
/// Records: index (8), hash (8), length (4), payload; a torn record at the end of a segment (a crash mid-write) is
/// ignored on load. Writes reach the file before the replica answers anyone (process crashes lose nothing; a machine
/// crash can lose what the page cache held, see the docs).
/// </summary>
internal sealed class PayloadJournal : IDisposable
{
    private const string Prefix = "journal-";
    private readonly object _sync = new();
    private readonly DirectoryInfo _directory;
    private readonly Dictionary<long, (ulong Hash, byte[] Payload)> _current = new();
    private Dictionary<long, (ulong Hash, byte[] Payload)> _previous = new();
    private FileStream? _segment;
    private long _segmentStart;
    private long _previousStart = -1;

    public PayloadJournal(DirectoryInfo directory)
    {
        _directory = directory;
        _directory.Create();
    }

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _current.Count + _previous.Count;
            }
        }
    }

    /// <summary>Loads every segment (records above <paramref name="snapshotIndex"/>) and opens a new segment after them.</summary>
    public void Load(long snapshotIndex)
    {
        lock (_sync)
        {
            foreach (var file in Segments())
            {
                foreach (var (index, hash, payload) in ReadRecords(file.File))
                {
                    if (index > snapshotIndex)
                    {
                        _current[index] = (hash, payload);
                    }
                }
            }

            var start = _current.Count == 0 ? snapshotIndex + 1 : _current.Keys.Max() + 1;
            OpenSegment(start);

            // Rewrite what was loaded into the new segment so older files can go at the next rotations.
            foreach (var (index, (hash, payload)) in _current.OrderBy(p => p.Key))
            {
                WriteRecord(index, hash, payload);
            }

            _segment!.Flush();
            foreach (var file in Segments().Where(f => f.Start != start))
            {
                file.File.Delete();
            }
        }
    }

    /// <summary>Records the payload applied at <paramref name="index"/>.</summary>
    public void Append(long index, ulong hash, byte[] payload)
    {
        lock (_sync)
        {
            _current[index] = (hash, payload);
            WriteRecord(index, hash, payload);
            _segment!.Flush();
        }
    }

    /// <summary>The payload applied at <paramref name="index"/> if its hash is <paramref name="hash"/>.</summary>
    public byte[]? Find(long index, ulong hash)
    {
        lock (_sync)
        {
            if (_current.TryGetValue(index, out var record) || _previous.TryGetValue(index, out record))
            {
                return record.Hash == hash ? record.Payload : null;
            }

            return null;
        }
    }

    /// <summary>A snapshot covering every index up to <paramref name="snapshotIndex"/> now exists: start a new segment, drop the one before the previous.</summary>
    public void Rotate(long snapshotIndex)
    {
        lock (_sync)
        {
            var dropStart = _previousStart;
            _previous = new Dictionary<long, (ulong, byte[])>(_current);
            _previousStart = _segmentStart;
            _current.Clear();
            OpenSegment(snapshotIndex + 1);
            if (dropStart >= 0)
            {
                foreach (var file in Segments().Where(f => f.Start == dropStart))
                {
                    file.File.Delete();
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _segment?.Dispose();
            _segment = null;
        }
    }

    private void OpenSegment(long start)
    {
        _segment?.Dispose();
        _segmentStart = start;
        var path = Path.Combine(_directory.FullName, Prefix + start.ToString("D20", CultureInfo.InvariantCulture));
        _segment = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
    }

    private void WriteRecord(long index, ulong hash, byte[] payload)
    {
        Span<byte> header = stackalloc byte[20];
        BinaryPrimitives.WriteInt64BigEndian(header, index);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], hash);
        BinaryPrimitives.WriteInt32BigEndian(header[16..], payload.Length);
        _segment!.Write(header);
        _segment.Write(payload);
    }

    private IEnumerable<(long Start, FileInfo File)> Segments()
    {
        foreach (var file in _directory.EnumerateFiles(Prefix + "*"))
        {
            if (long.TryParse(file.Name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                yield return (start, file);
            }
        }
    }

    private static List<(long Index, ulong Hash, byte[] Payload)> ReadRecords(FileInfo file)
    {
        var records = new List<(long, ulong, byte[])>();
        var bytes = File.ReadAllBytes(file.FullName);
        var offset = 0;
        while (bytes.Length - offset >= 20)
        {
            var index = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(offset));
            var hash = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(offset + 8));
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset + 16));
            if (length < 0 || bytes.Length - offset - 20 < length)
            {
                break; // a torn last record
            }

            var payload = bytes.AsSpan(offset + 20, length).ToArray();
            if (PayloadHash.Of(payload) == hash)
            {
                records.Add((index, hash, payload));
            }

            offset += 20 + length;
        }

        return records;
    }
}
