// Hot-path allocation corpus: service code written from docs/diagnostics/TG3*.md. A line ending in "// expect: IDs" must
// get exactly those diagnostics; a line ending in "// clean" looks suspicious but must get none; no other line may get any.
using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using TailGuard;

namespace Corpus.Allocations;

[R2P2Service]
public interface IKeyValue
{
    int Get(ReadOnlySpan<byte> key, Span<byte> destination);
    bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
    int Count();
}

public sealed class KeyValueService : IKeyValue
{
    private readonly Dictionary<ulong, byte[]> _values = new();
    private readonly List<string> _audit = new();
    private readonly Metrics _metrics = new();
    private readonly Func<ulong, bool> _isReserved = static id => id == 0;
    private string _lastKey = "";
    private object? _lastBoxed;
    private int _gets;

    public int Get(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        var id = Hash(key);                                                   // clean
        if (!_values.TryGetValue(id, out var value))                          // clean
        {
            _lastKey = "miss " + id;                                          // expect: TG3011
            return -1;
        }

        value.AsSpan().CopyTo(destination);                                   // clean
        _gets++;                                                              // clean
        _metrics.Record(value.Length);                                        // expect: TG3018
        _lastBoxed = id;                                                      // expect: TG3005
        return value.Length;
    }

    public bool Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var id = Hash(key);
        if (_isReserved(id)) return false;                                    // clean
        _values[id] = value.ToArray();                                        // clean
        _audit.Add($"put {id}");                                              // expect: TG3012
        var snapshot = new byte[value.Length];                                // expect: TG3002
        value.CopyTo(snapshot);
        Func<int> size = () => snapshot.Length;                               // expect: TG3008
        return size() > 0;
    }

    public int Count() => _values.Keys.Count(k => k != 0);                    // expect: TG3014 TG3010

    private static ulong Hash(ReadOnlySpan<byte> key)
    {
        ulong h = 1469598103934665603;
        foreach (var b in key) h = (h ^ b) * 1099511628211;
        return h;
    }
}

public sealed class Metrics
{
    private readonly List<int> _samples = new();
    private string _last = "";
    public void Record(int size) { _samples.Add(size); _last = "size " + size; }
    public string Describe() => string.Join(",", _samples);
}

[TrustDomain]
public interface ISigner
{
    int Sign([Bounded(256)] ReadOnlySpan<byte> message, [Bounded(64)] Span<byte> signature);
    bool Verify([Bounded(256)] ReadOnlySpan<byte> message, [Bounded(64)] ReadOnlySpan<byte> signature);
}

public sealed class Signer : ISigner
{
    private readonly byte[] _key = new byte[32];
    private readonly IncrementalHash _hash = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, new byte[32]);
    private readonly Audit _audit = new();

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        Span<byte> mac = stackalloc byte[32];                                 // clean
        HMACSHA256.HashData(_key, message, mac);                              // clean
        mac.CopyTo(signature);
        _audit.Note(new SignEvent(message.Length));                           // expect: TG3001 TG3018
        return mac.Length;
    }

    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        var expected = new byte[32];                                          // expect: TG3002
        HMACSHA256.HashData(_key, message, expected);
        var header = new byte[] { 1, 2, 3 };                                  // expect: TG3002
        var tail = Array.Empty<byte>();                                       // clean
        return CryptographicOperations.FixedTimeEquals(expected, signature) && header.Length + tail.Length > 0;
    }
}

public sealed class Audit
{
    private readonly Queue<object> _events = new();
    public void Note(object e) => _events.Enqueue(e.ToString() + "!");
}

public sealed record SignEvent(int Length);

public readonly struct Money
{
    public Money(long cents) => Cents = cents;
    public long Cents { get; }
    public static Money operator +(Money a, Money b) => new(a.Cents + b.Cents);
    public static Money operator *(Money a, int n) => new(Checked(a.Cents * n, "overflow in " + a.Cents));
    public static implicit operator decimal(Money m) => m.Cents / 100m;
    public static explicit operator string(Money m) => "$" + m.Cents;
    private static long Checked(long value, string message) => value;
}

public struct Cursor
{
    private readonly byte[] _data;
    private int _position;
    public Cursor(int capacity) { _data = new byte[capacity]; _position = 0; }
    public Cursor(byte[] data) { _data = data; _position = 0; }
    public int Remaining => _data.Length - _position;
    public string Label => "cursor at " + _position;
    public byte this[int i] => _data[i];
    public string this[string name] => name + _position;
}

[HotPath]
public sealed class Pricing
{
    private readonly List<Money> _lines = new();                              // expect: TG3001
    private readonly Dictionary<int, Money> _byId = new();                    // expect: TG3001
    private Money _total;
    private object? _sink;
    private string _text = "";
    private decimal _amount;

    public Money Total(Money shipping)
    {
        var sum = shipping;
        foreach (var line in _lines) sum = sum + line;                        // clean
        _total = sum * 2;                                                     // expect: TG3018
        _amount = sum;                                                        // clean
        _text = (string)sum;                                                  // expect: TG3018
        return _total;
    }

    public int Scan(byte[] data)
    {
        var cursor = new Cursor(data);                                        // clean
        var fresh = new Cursor(16);                                           // expect: TG3018
        var label = cursor.Label;                                             // expect: TG3018
        var first = cursor[0];                                                // clean
        var named = cursor["x"];                                              // expect: TG3018
        return cursor.Remaining + fresh.Remaining + first + label.Length + named.Length;
    }

    public void Box(int value, DayOfWeek day, Guid id)
    {
        _sink = value;                                                        // expect: TG3005
        IComparable comparable = day;                                         // expect: TG3005
        _sink = comparable;
        var hash = id.GetHashCode();                                          // clean
        var text = value.ToString();                                          // clean
        var same = day.Equals(DayOfWeek.Monday);                              // expect: TG3006 TG3005
        _sink = hash + text.Length + (same ? 1 : 0);                          // expect: TG3005
    }

    public string Describe(int count, double ratio)
    {
        var a = "count=" + count;                                             // expect: TG3011
        var b = string.Concat(a, ";");                                        // expect: TG3011
        var c = $"ratio={ratio:F2}";                                          // expect: TG3012
        FormattableString d = $"n={count}";                                   // expect: TG3012
        var e = string.Format("{0}/{1}", count, ratio);                       // expect: TG3013 TG3005 TG3005
        const string f = "constant" + "-folded";                              // clean
        return a + b + c + d + e + f;                                         // expect: TG3011
    }

    public int Query(int[] values, List<int> list, IEnumerable<int> sequence)
    {
        var evens = values.Where(v => v % 2 == 0).ToArray();                  // expect: TG3014 TG3014 TG3010
        var max = list.Max();                                                 // expect: TG3014
        var total = 0;
        foreach (var v in values) total += v;                                 // clean
        foreach (var v in list) total += v;                                   // clean
        foreach (var v in sequence) total += v;                               // expect: TG3015
        foreach (var c in "abc") total += c;                                  // clean
        var threshold = total / 2;
        var above = values.Count(v => v > threshold);                         // expect: TG3014 TG3008
        return evens.Length + max + above;
    }

    public void Delegates(List<int> items)
    {
        items.Sort(Compare);                                                  // clean
        items.Sort(CompareInstance);                                          // expect: TG3009
        items.Sort((a, b) => CompareInstance(a, b));                          // expect: TG3009
        items.Sort(static (a, b) => a - b);                                   // clean
        items.Sort((a, b) => b - a);                                          // expect: TG3010
        Comparison<int> explicitNew = new Comparison<int>(Compare);           // expect: TG3009
        items.Sort(explicitNew);
    }

    public IEnumerable<int> Numbers() { yield return 1; }                     // expect: TG3016

    public async Task<int> LoadAsync() { await Task.Yield(); return 1; }      // expect: TG3017

    public async ValueTask<int> LoadValueAsync() { await Task.Yield(); return 1; }  // expect: TG3017

    public void Collections(Span<int> scratch)
    {
        Span<int> onStack = [1, 2, 3];                                        // clean
        int[] empty = [];                                                     // clean
        int[] filled = [1, 2];                                                // expect: TG3004
        List<int> list = [1];                                                 // expect: TG3004
        IEnumerable<int> none = [];                                           // clean
        _sink = onStack.Length + empty.Length + filled.Length + list.Count + none.GetHashCode() + scratch.Length;   // expect: TG3005
    }

    public void Params(int a, int b)
    {
        _text = string.Join(",", "x", "y");                                   // clean
        _text = string.Join(",", Array.Empty<string>());                      // clean
        Log("ok");                                                            // clean
        Log("pair", a, b);                                                    // expect: TG3003 TG3005 TG3005
    }

    public void Local(int n)
    {
        Tally();                                                              // clean
        Tally();                                                              // clean
        var r = Reduce(n);                                                    // clean
        void Tally() => _sink = new object();                                 // expect: TG3001
        static int Reduce(int x) => x * 2;
        _sink = r;                                                            // expect: TG3005
    }

    public int Calls(int n)
    {
        var a = Helper.Plain(n);                                              // clean
        var b = Helper.Allocating(n);                                         // expect: TG3018
        var c = Helper.TwoDeep(n);                                            // expect: TG3018
        var d = Helper.ThreeDeep(n);                                          // expect: TG3018
        var e = Helper.FourDeep(n);                                           // clean
        var f = Helper.Recursive(n);                                          // clean
        return a + b + c + d + e + f;
    }

    public void Throws(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n));          // clean
        if (n > 100) throw new InvalidOperationException("too large: " + n);  // expect: TG3011
    }

    private static int Compare(int a, int b) => a - b;
    private int CompareInstance(int a, int b) => a - b + _lines.Count;
    private static void Log(string message, params object[] values) { }
}

public static class Helper
{
    private static object? s_last;
    public static int Plain(int n) => n + 1;
    public static int Allocating(int n) { s_last = new int[n]; return n; }
    public static int TwoDeep(int n) => Allocating(n) + 1;
    public static int ThreeDeep(int n) => TwoDeep(n) + 1;
    public static int FourDeep(int n) => ThreeDeep(n) + 1;
    public static int Recursive(int n) => n <= 0 ? 0 : Recursive(n - 1) + 1;
}

public sealed class ColdReporting
{
    public string Report(IEnumerable<int> values) =>
        string.Join(",", values.Where(v => v > 0).Select(v => v.ToString()));  // clean

    public object Box(int value) => value;                                    // clean

    public List<int> Copy(int[] values) => new List<int>(values);             // clean
}

public sealed class Framer
{
    [HotPath]
    public int Frame(ReadOnlySpan<byte> payload, Span<byte> frame)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length);       // clean
        payload.CopyTo(frame.Slice(4));                                       // clean
        var rented = ArrayPool<byte>.Shared.Rent(64);                         // clean
        ArrayPool<byte>.Shared.Return(rented);
        var builder = new StringBuilder();                                    // expect: TG3001
        builder.Append(payload.Length);                                       // clean
        return payload.Length + 4 + builder.Length;
    }

    public string Cold() => new StringBuilder().Append(1).ToString();         // clean
}
