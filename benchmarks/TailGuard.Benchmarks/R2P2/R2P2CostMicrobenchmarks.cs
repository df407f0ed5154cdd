using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;
using TailGuard.R2P2.Security;

namespace TailGuard.Benchmarks.R2P2;

/// <summary>
/// In-process time per operation (one thread, no I/O: CPU time when not preempted) of the R2P2 authenticated mode (docs/security.md, "Cost") and of a call's protocol work
/// with and without it (issue 22): each AES-GCM operation a call makes (client seal, server open, server seal, client
/// open) at 64 B and 1 KiB as <see cref="AuthenticatedWire"/> does it, the BCL call beneath it, the server's key lookups
/// and replay window, the client's nonce, and <see cref="ProtocolRoundTrip"/> in both modes. Batches of every operation
/// are interleaved (so a busy machine's drift hits all alike) and timed whole: the report is nanoseconds per operation,
/// the minimum (the machine's cost when nothing else ran) and the median over batches.
/// Run: <c>dotnet run -c Release --project benchmarks/TailGuard.Benchmarks -- r2p2-cost [BATCHES] [BATCH MICROSECONDS] [FILTER]</c>
/// (default 201 batches of each operation, each batch about 500 us; FILTER keeps the operations whose name contains it).
/// </summary>
internal static class R2P2CostMicrobenchmarks
{
    private const uint KeyId = 7;

    public static int Run(string[] args, TextWriter output)
    {
        var batches = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 201;
        var batchMicroseconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
        var filter = args.Length > 2 ? args[2] : "";
        if (batches < 1 || batchMicroseconds < 1)
        {
            output.WriteLine("usage: r2p2-cost [BATCHES >= 1] [BATCH MICROSECONDS >= 1] [NAME FILTER]");
            return 2;
        }

        using var key = R2P2Key.Generate(KeyId);
        using var clientKey = R2P2Key.Generate(KeyId + 1);
        var cases = new List<(string Name, Action<int> Run)>();
        var disposables = new List<IDisposable>();
        foreach (var size in new[] { 64, 1024 })
        {
            AddCipherCases(cases, disposables, key, size);
        }

        AddServerCases(cases, key);
        var client = new ClientAuthenticator(clientKey);
        disposables.Add(client);
        cases.Add(("client call nonce (clock read)", n =>
        {
            for (var i = 0; i < n; i++)
            {
                client.NextCallNonce();
            }
        }));

        foreach (var size in new[] { 64, 1024 })
        {
            var plain = new ProtocolRoundTrip(null, size);
            var sealedTrip = new ProtocolRoundTrip(key, size);
            disposables.Add(plain);
            disposables.Add(sealedTrip);
            cases.Add(($"protocol round trip {size} B, default", plain.Run));
            cases.Add(($"protocol server part {size} B, default", plain.RunServer));
            cases.Add(($"protocol client part {size} B, default", plain.RunClient));
            cases.Add(($"protocol round trip {size} B, authenticated", sealedTrip.Run));
        }

        cases.RemoveAll(c => !c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase));
        try
        {
            if (cases.Count == 0)
            {
                output.WriteLine($"r2p2-cost: no operation's name contains '{filter}'");
                return 2;
            }

            // Warm (JIT tiers, pools), then size each case's batch to about BATCH MICROSECONDS from its fastest of five
            // trial runs: short enough that a batch is rarely preempted on a busy machine, long enough that the two
            // clock reads do not count.
            var operations = new int[cases.Count];
            for (var k = 0; k < cases.Count; k++)
            {
                cases[k].Run(2000);
                var fastest = double.MaxValue;
                for (var trial = 0; trial < 5; trial++)
                {
                    var start = Stopwatch.GetTimestamp();
                    cases[k].Run(200);
                    fastest = Math.Min(fastest, Stopwatch.GetElapsedTime(start).TotalMicroseconds / 200);
                }

                operations[k] = (int)Math.Clamp(batchMicroseconds / fastest, 10, 100_000);
            }

            var samples = cases.Select(_ => new double[batches]).ToArray();
            for (var batch = 0; batch < batches; batch++)
            {
                for (var k = 0; k < cases.Count; k++)
                {
                    var index = (k + batch) % cases.Count; // a different order each batch
                    var start = Stopwatch.GetTimestamp();
                    cases[index].Run(operations[index]);
                    samples[index][batch] = (Stopwatch.GetTimestamp() - start) * 1e9 / Stopwatch.Frequency / operations[index];
                }
            }

            output.WriteLine($"# {batches} interleaved batches of each operation, each about {batchMicroseconds} us; ns per operation (one thread); {Environment.ProcessorCount} cores");
            output.WriteLine($"{"operation",-58} {"min",8} {"median",8} {"ops/batch",9}");
            for (var k = 0; k < cases.Count; k++)
            {
                var sorted = samples[k].Order().ToArray();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[k].Name,-58} {sorted[0],8:F0} {sorted[sorted.Length / 2],8:F0} {operations[k],9}"));
            }
        }
        finally
        {
            foreach (var disposable in disposables)
            {
                disposable.Dispose();
            }
        }

        return 0;
    }

    /// <summary>The four AES-GCM operations of a call at one payload size, the BCL call beneath them, and ChaCha20-Poly1305 for comparison.</summary>
    private static void AddCipherCases(List<(string, Action<int>)> cases, List<IDisposable> disposables, R2P2Key key, int size)
    {
        var cipher = key.CreateCipher();
        disposables.Add(cipher);
        var request = Packet(MessageType.Request, size, AuthenticatedWire.RequestTrailerLength);
        var reply = Packet(MessageType.Response, size, AuthenticatedWire.ReplyTrailerLength);
        const ulong callNonce = 0x0123456789ABCDEF;
        const ulong serverNonce = 42;
        cases.Add(($"seal request {size} B (client)", n =>
        {
            for (var i = 0; i < n; i++)
            {
                request.Length = R2P2Header.Size + size;
                AuthenticatedWire.SealRequest(cipher, request, KeyId, callNonce);
            }
        }));

        var sealedRequest = Packet(MessageType.Request, size, AuthenticatedWire.RequestTrailerLength);
        AuthenticatedWire.SealRequest(cipher, sealedRequest, KeyId, callNonce);
        var sealedRequestLength = sealedRequest.Length;
        cases.Add(($"open request {size} B (server)", n =>
        {
            for (var i = 0; i < n; i++)
            {
                sealedRequest.Length = sealedRequestLength;
                if (!AuthenticatedWire.TryOpenRequest(cipher, sealedRequest, callNonce))
                {
                    throw new InvalidOperationException("A sealed request did not verify.");
                }
            }
        }));

        cases.Add(($"seal reply {size} B (server)", n =>
        {
            for (var i = 0; i < n; i++)
            {
                reply.Length = R2P2Header.Size + size;
                AuthenticatedWire.SealReply(cipher, reply, KeyId, callNonce, serverNonce);
            }
        }));

        var sealedReply = Packet(MessageType.Response, size, AuthenticatedWire.ReplyTrailerLength);
        AuthenticatedWire.SealReply(cipher, sealedReply, KeyId, callNonce, serverNonce);
        var sealedReplyLength = sealedReply.Length;
        cases.Add(($"open reply {size} B (client)", n =>
        {
            for (var i = 0; i < n; i++)
            {
                sealedReply.Length = sealedReplyLength;
                if (!AuthenticatedWire.TryOpenReply(cipher, sealedReply, KeyId, callNonce, out _))
                {
                    throw new InvalidOperationException("A sealed reply did not verify.");
                }
            }
        }));

        // Beneath them: one BCL call over the same associated data (a request's), tag only.
        var associated = new byte[R2P2Header.Size + size + AuthenticatedWire.RequestTrailerLength - AuthenticatedWire.TagLength];
        var nonce = new byte[12];
        var tag = new byte[AuthenticatedWire.TagLength];
        cases.Add(($"  AesGcm.Encrypt, empty plaintext, {associated.Length} B associated", n =>
        {
            for (var i = 0; i < n; i++)
            {
                cipher.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, associated);
            }
        }));

        // The same bytes as plaintext instead (no associated data): one native call fewer, the ciphertext discarded.
        var discarded = new byte[associated.Length];
        cases.Add(($"  AesGcm.Encrypt, {associated.Length} B plaintext, no associated", n =>
        {
            for (var i = 0; i < n; i++)
            {
                cipher.Encrypt(nonce, associated, discarded, tag);
            }
        }));

        var goodTag = (byte[])tag.Clone();
        cipher.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, goodTag, associated);
        cases.Add(($"  AesGcm.Decrypt (tag check), {associated.Length} B associated", n =>
        {
            for (var i = 0; i < n; i++)
            {
                cipher.Decrypt(nonce, ReadOnlySpan<byte>.Empty, goodTag, Span<byte>.Empty, associated);
            }
        }));

        if (ChaCha20Poly1305.IsSupported)
        {
            Span<byte> secret = stackalloc byte[32];
            RandomNumberGenerator.Fill(secret);
            var chacha = new ChaCha20Poly1305(secret);
            disposables.Add(chacha);
            cases.Add(($"  ChaCha20Poly1305.Encrypt (comparison), {associated.Length} B", n =>
            {
                for (var i = 0; i < n; i++)
                {
                    chacha.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, associated);
                }
            }));
        }

        // Other MACs of the BCL, for comparison only (the wire's tag is AES-GCM's): HMAC-SHA256, kept and one-shot.
        var hmacKey = new byte[32];
        RandomNumberGenerator.Fill(hmacKey);
        var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, hmacKey);
        disposables.Add(hmac);
        var digest = new byte[32];
        cases.Add(($"  HMAC-SHA256 IncrementalHash (comparison), {associated.Length} B", n =>
        {
            for (var i = 0; i < n; i++)
            {
                hmac.AppendData(associated);
                hmac.GetHashAndReset(digest);
            }
        }));

        cases.Add(($"  HMACSHA256.HashData one-shot (comparison), {associated.Length} B", n =>
        {
            for (var i = 0; i < n; i++)
            {
                HMACSHA256.HashData(hmacKey, associated, digest);
            }
        }));
    }

    /// <summary>The server's work around the cipher: the key lookups of a request and a reply, and the replay window.</summary>
    private static void AddServerCases(List<(string, Action<int>)> cases, R2P2Key key)
    {
        var ring = new R2P2KeyRing(key);
        var server = new ServerAuthenticator(ring, 1024, TimeSpan.FromSeconds(1));
        var cache = server.CreateCache();
        var request = Packet(MessageType.Request, 64, AuthenticatedWire.RequestTrailerLength);
        var callNonce = AuthenticatedWire.CallNonceAt(DateTime.UtcNow);
        AuthenticatedWire.SealRequest(cache.Get(key), request, key.Id, callNonce);
        var sealedLength = request.Length;
        cases.Add(("server open request 64 B, with key lookup", n =>
        {
            for (var i = 0; i < n; i++)
            {
                request.Length = sealedLength;
                if (!ServerAuthenticator.TryOpenRequest(cache, request, out _, out _))
                {
                    throw new InvalidOperationException("A sealed request did not verify.");
                }
            }
        }));

        var next = callNonce;
        cases.Add(("server replay window, a new nonce", n =>
        {
            for (var i = 0; i < n; i++)
            {
                if (!server.TryAcceptCall(key, ++next))
                {
                    throw new InvalidOperationException("A new nonce was refused.");
                }
            }
        }));

        var reply = Packet(MessageType.Response, 64, AuthenticatedWire.ReplyTrailerLength);
        cases.Add(("server seal reply 64 B, with counter and key lookup", n =>
        {
            for (var i = 0; i < n; i++)
            {
                reply.Length = R2P2Header.Size + 64;
                server.SealReply(cache, reply, key, callNonce);
            }
        }));
    }

    /// <summary>A one-packet message of <paramref name="size"/> payload bytes, with room for a trailer.</summary>
    private static PacketBuffer Packet(MessageType type, int size, int trailer)
    {
        var packet = new PacketBuffer(R2P2Header.Size + size + trailer);
        R2P2Header.Write(packet.Storage, type, RoutingPolicy.LoadBalanced, R2P2Header.FlagsSingle, 7, 1);
        packet.Storage[R2P2Header.Size..(R2P2Header.Size + size)].Fill(0x5A);
        packet.Length = R2P2Header.Size + size;
        return packet;
    }
}
