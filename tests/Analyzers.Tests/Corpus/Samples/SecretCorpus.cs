// Secret-flow corpus: service code written from docs/diagnostics/TG4*.md and the index's description of the analysis.
// A line ending in "// expect: IDs" must get exactly those diagnostics; a line ending in "// clean" looks suspicious but
// must get none; no other line may get any.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using TailGuard;

namespace Corpus.Secrets;

[TrustDomain]
public interface IKeyVault
{
    int Sign([Bounded(256)] ReadOnlySpan<byte> message, [Bounded(32)] Span<byte> signature);
    int ExportPublic([Bounded(32)] Span<byte> destination);
    int ExportWrapped([Bounded(48)] Span<byte> destination);
    long Fingerprint();
    bool Unlock([Bounded(64)] ReadOnlySpan<byte> passphrase);
    int Rotate([Bounded(32)] Span<byte> destination);
}

[HostCalls]
public interface IHostServices
{
    void Persist([Bounded(256)] ReadOnlySpan<byte> blob);
    void Report(string message);
}

[R2P2Service]
public interface ISessionService
{
    int Open(ReadOnlySpan<byte> request, Span<byte> response);
    int Token(Span<byte> destination);
    int Close(long id);
}

public sealed record Credential(byte[] Secret, string Owner);
public readonly record struct Lease(byte[] Token, long ExpiresAt);
public sealed class KeyMaterial { public byte[] Private = Array.Empty<byte>(); public byte[] Public = Array.Empty<byte>(); public int Version; }

public sealed class KeyVault : IKeyVault
{
    [Secret] private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    [Secret] private readonly byte[] _wrappingKey = RandomNumberGenerator.GetBytes(32);
    [Secret] private readonly string _passphrase = "correct horse";
    [Secret] private long _pin = 4242;
    private readonly byte[] _publicKey = new byte[32];
    private readonly IHostServices _host;
    private byte[] _lastSignature = Array.Empty<byte>();
    private byte[] _cache = Array.Empty<byte>();
    private static string s_lastError = "";

    public KeyVault(IHostServices host) => _host = host;

    private byte[] Material => _signingKey;
    private (byte[] Key, int Version) Current() => (_signingKey, 3);

    public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var mac = HMACSHA256.HashData(_signingKey, message);
        mac.CopyTo(signature);                                                // expect: TG4001
        _lastSignature = Seal(mac);                                           // clean
        var head = signature.Slice(0, 4);
        _signingKey.AsSpan(0, 4).CopyTo(head);                                // expect: TG4001
        return mac.Length;
    }

    public int ExportPublic(Span<byte> destination)
    {
        var key = _signingKey;
        key = _publicKey;
        key.CopyTo(destination);                                              // clean
        var material = new KeyMaterial { Private = _signingKey, Public = _publicKey, Version = 2 };
        material.Public.CopyTo(destination);                                  // clean
        Console.WriteLine(material.Version);                                  // clean
        Console.WriteLine(material.Private);                                  // expect: TG4003
        return destination.Length;
    }

    public int ExportWrapped(Span<byte> destination)
    {
        var wrapped = Wrap(_wrappingKey, _signingKey);
        wrapped.CopyTo(destination);                                          // clean
        var (current, version) = Current();
        _host.Report("version " + version);                                   // clean
        _host.Persist(current);                                               // expect: TG4001
        return wrapped.Length;
    }

    public long Fingerprint()
    {
        var digest = SHA256.HashData(_publicKey);                             // clean
        var pin = _pin;
        if (digest.Length > 100) return pin;                                  // expect: TG4001
        return BitConverter.ToInt64(digest);                                  // clean
    }

    public bool Unlock(ReadOnlySpan<byte> passphrase)
    {
        var given = Encoding.UTF8.GetString(passphrase);
        if (given == _passphrase) return true;                                // expect: TG4007
        if (string.Equals(given, _passphrase, StringComparison.Ordinal)) return true;  // expect: TG4007
        var expected = Encoding.UTF8.GetBytes(_passphrase);
        if (expected.SequenceEqual(passphrase.ToArray())) return true;        // expect: TG4007
        var ok = CryptographicOperations.FixedTimeEquals(expected, passphrase);  // clean
        Debug.WriteLine("unlock attempt " + passphrase.Length);               // clean
        Debug.WriteLine("unlock for " + given);                               // clean
        Trace.WriteLine(_passphrase);                                         // expect: TG4003
        return ok && _pin == 4242;                                            // clean
    }

    public int Rotate(Span<byte> destination)
    {
        var fresh = RandomNumberGenerator.GetBytes(32);
        var ring = new[] { _signingKey, fresh };
        ring[1].CopyTo(destination);                                          // expect: TG4001
        _cache = _wrappingKey;                                                // expect: TG4006
        s_lastError = "rotated " + Convert.ToHexString(_signingKey);          // expect: TG4006 TG4005 TG4005
        var lease = new Lease(_signingKey, 60);
        Console.WriteLine(lease.ExpiresAt);                                   // clean
        Console.WriteLine(lease.Token);                                       // expect: TG4003
        var credential = new Credential(_wrappingKey, "vault");
        Console.WriteLine(credential.Owner);                                  // clean
        var (secret, owner) = credential;
        Console.WriteLine(owner);                                             // clean
        Console.WriteLine(secret);                                            // expect: TG4003
        var renamed = credential with { Owner = "backup" };
        Console.WriteLine(renamed.Secret);                                    // expect: TG4003
        var scrubbed = credential with { Secret = Array.Empty<byte>() };
        Console.WriteLine(scrubbed.Secret);                                   // clean
        return 32;
    }

    public void Audit()
    {
        Console.WriteLine(Material);                                          // expect: TG4003
        var (key, version) = Current();
        Console.WriteLine(version);                                           // clean
        Console.WriteLine(key.Length);                                        // clean
        Console.WriteLine($"pin {_pin}");                                     // expect: TG4005 TG4003
        Log(_pin.ToString());                                                 // expect: TG4005 TG4003
        Log(_publicKey.Length.ToString());                                    // clean
        throw new InvalidOperationException(_passphrase);                     // expect: TG4004
    }

    public string Describe() => Convert.ToBase64String(_publicKey) + " v" + Current().Version;  // clean

    public void Reset()
    {
        _pin = 0;                                                             // clean
        var tmp = _signingKey;
        tmp = null!;
        Console.WriteLine(tmp);                                               // clean
    }

    private static void Log(string message) => Console.WriteLine(message);

    [Declassifier]
    private static byte[] Seal(byte[] mac) => SHA256.HashData(mac);

    [Declassifier]
    private static byte[] Wrap(byte[] kek, byte[] key) => SHA256.HashData(key.Concat(kek).ToArray());
}

public sealed class SessionService : ISessionService
{
    [Secret] private readonly Dictionary<long, byte[]> _tokens = new();
    [Secret] private readonly byte[] _serverSecret = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<long, string> _owners = new();
    private readonly List<byte[]> _recent = new();
    private long _next;

    public int Open(ReadOnlySpan<byte> request, Span<byte> response)
    {
        var id = ++_next;
        var token = Derive(_serverSecret, id);
        _tokens[id] = token;                                                  // clean
        _owners[id] = Encoding.UTF8.GetString(request);                       // clean
        BitConverter.TryWriteBytes(response, id);                             // clean
        Stash(token);                                                         // expect: TG4006
        return 8;
    }

    public int Token(Span<byte> destination)
    {
        if (!_tokens.TryGetValue(_next, out var token)) return 0;
        token.CopyTo(destination);                                            // expect: TG4002
        return token.Length;
    }

    public int Close(long id)
    {
        var owner = _owners.GetValueOrDefault(id, "?");
        Console.WriteLine("closing " + owner);                                // clean
        if (_tokens.Remove(id, out var token))
        {
            Debug.Assert(token.Length == 32);                                 // clean
            Console.WriteLine(token[0]);                                      // expect: TG4003
        }

        return _tokens.Count;                                                 // clean
    }

    private void Stash(byte[] value) => _recent.Add(value);

    private static byte[] Derive(byte[] secret, long id) => HMACSHA256.HashData(secret, BitConverter.GetBytes(id));
}

public sealed class BackupJob
{
    [Secret] private readonly byte[] _archiveKey = RandomNumberGenerator.GetBytes(32);
    private readonly IHostServices _host;
    private readonly List<byte[]> _staged = new();

    public BackupJob(IHostServices host) => _host = host;

    public void Run(byte[] data, bool compress)
    {
        var buffer = new byte[64];
        var view = buffer.AsSpan(32);
        _archiveKey.CopyTo(view);
        _host.Persist(buffer);                                                // expect: TG4001
        var other = new byte[64];
        data.CopyTo(other, 0);
        _host.Persist(other);                                                 // clean
        var chosen = compress ? _archiveKey : data;
        _host.Persist(chosen);                                                // expect: TG4001
        var safe = compress ? data : Array.Empty<byte>();
        _host.Persist(safe);                                                  // clean
        Upload(_archiveKey);                                                  // expect: TG4001
        Upload(data);                                                         // clean
        Stage(_archiveKey);                                                   // expect: TG4006
        byte[]? carried = null;
        for (var i = 0; i < 3; i++)
        {
            if (carried is not null) _host.Persist(carried);                  // expect: TG4001
            carried = _archiveKey;
        }

        var tuple = (Key: _archiveKey, Size: data.Length);
        _host.Report("size " + tuple.Size);                                   // clean
        _host.Report(Convert.ToBase64String(tuple.Key));                      // expect: TG4001 TG4005
        Action flush = () => _host.Persist(_archiveKey);                      // expect: TG4001
        flush();
        Emit(_archiveKey);                                                    // clean
        void Emit(byte[] payload) => Console.WriteLine(payload);              // expect: TG4003
    }

    private void Upload(byte[] blob) => Send(blob);
    private void Send(byte[] blob) => Transmit(blob);
    private void Transmit(byte[] blob) => _host.Persist(blob);
    private void Stage(byte[] blob) => _staged.Add(blob);
}

public sealed class PasswordChecker
{
    [Secret] private readonly string _hash = "stored";
    private int _failures;

    public bool Check(string candidate)
    {
        var computed = Hash(candidate);
        var match = computed == _hash;                                        // expect: TG4007
        if (!match) _failures++;                                              // clean
        Console.WriteLine("failures " + _failures);                           // clean
        return match;
    }

    public bool CheckLength(string candidate) => candidate.Length == _hash.Length;   // clean

    public bool CheckBytes(byte[] candidate)
    {
        var stored = Encoding.UTF8.GetBytes(_hash);
        return CryptographicOperations.FixedTimeEquals(stored, candidate);    // clean
    }

    private static string Hash(string value) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}

public sealed class TokenIssuer
{
    [Secret] private readonly byte[] _hmacKey = RandomNumberGenerator.GetBytes(32);
    private readonly IHostServices _host;
    private readonly Dictionary<string, byte[]> _issued = new();
    private string _lastToken = "";

    public TokenIssuer(IHostServices host) => _host = host;

    private byte[] KeyFor(string tenant) => Mix(_hmacKey, tenant);
    private static byte[] Mix(byte[] key, string tenant) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(tenant));

    public string Issue(string tenant, long expiry)
    {
        var key = KeyFor(tenant);
        var token = Convert.ToBase64String(key);                              // expect: TG4005
        _lastToken = token;                                                   // expect: TG4006
        _issued[tenant] = key;                                                // expect: TG4006
        _host.Report(tenant + ":" + expiry);                                  // clean
        Console.WriteLine("issued for " + tenant);                            // clean
        var builder = new StringBuilder();
        builder.Append(tenant).Append(':');
        builder.Append(Convert.ToHexString(key));                             // expect: TG4005
        return builder.ToString();                                            // expect: TG4005
    }

    public bool Validate(string tenant, byte[] presented)
    {
        var expected = KeyFor(tenant);
        if (expected.Length != presented.Length) return false;                // clean
        return expected.AsSpan().SequenceEqual(presented);                    // expect: TG4007
    }

    public void Revoke(string tenant)
    {
        if (_issued.Remove(tenant, out var old))
        {
            Array.Clear(old);                                                 // clean
        }

        var key = KeyFor(tenant);
        try
        {
            _host.Persist(key);                                               // expect: TG4001
        }
        catch (InvalidOperationException e)
        {
            _host.Report(e.Message + " for " + tenant);                       // clean
            throw new InvalidOperationException("revoke failed", new ArgumentException(Convert.ToBase64String(key)));  // expect: TG4004 TG4004 TG4005
        }
    }

    public (byte[] Key, string Tenant) Pair(string tenant) => (KeyFor(tenant), tenant);

    public void Inspect(string tenant)
    {
        var pair = Pair(tenant);
        Console.WriteLine(pair.Tenant);                                       // clean
        Console.WriteLine(pair.Key);                                          // expect: TG4003
        var copy = new byte[32];
        pair.Key.AsSpan().CopyTo(copy);
        Debug.WriteLine(copy);                                                // expect: TG4003
        var scratch = new byte[32];
        Debug.WriteLine(scratch);                                             // clean
    }
}
