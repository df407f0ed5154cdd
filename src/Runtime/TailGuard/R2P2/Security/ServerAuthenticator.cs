using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.R2P2.Security;

/// <summary>
/// A server's side of the authenticated mode, shared by its receive loops: the key ring, the server nonce counter (a
/// random 64-bit start, one per reply message, over all loops), and AES-GCM instances per key, which are not
/// thread-safe: each loop keeps its own (<see cref="CreateCache"/>); other threads (answering deferred responses) share
/// one set under a lock.
/// </summary>
internal sealed class ServerAuthenticator
{
    private readonly CipherCache _shared;
    private long _serverNonce;

    public ServerAuthenticator(R2P2KeyRing ring)
    {
        Ring = ring;
        _shared = new CipherCache(ring);
        Span<byte> start = stackalloc byte[8];
        RandomNumberGenerator.Fill(start);
        _serverNonce = BitConverter.ToInt64(start);
    }

    public R2P2KeyRing Ring { get; }

    /// <summary>A cache for one thread (a receive loop).</summary>
    public CipherCache CreateCache() => new(Ring);

    /// <summary>Checks a request packet and strips its trailer; false (nothing changed) for an unknown key or a tag that does not verify.</summary>
    public static bool TryOpenRequest(CipherCache cache, PacketBuffer packet, out R2P2Key? key, out ulong callNonce)
    {
        key = null;
        if (!AuthenticatedWire.TryReadRequestTrailer(packet.Span, out var keyId, out callNonce) || cache.Get(keyId, out key) is not { } cipher)
        {
            key = null;
            return false;
        }

        return AuthenticatedWire.TryOpenRequest(cipher, packet, callNonce);
    }

    /// <summary>Seals a reply for a call; <paramref name="cache"/> null when not on a loop thread (the shared ciphers, under their lock).</summary>
    public void SealReply(CipherCache? cache, PacketBuffer packet, R2P2Key key, ulong callNonce)
    {
        var serverNonce = unchecked((ulong)Interlocked.Increment(ref _serverNonce));
        if (cache is not null)
        {
            AuthenticatedWire.SealReply(cache.Get(key), packet, key.Id, callNonce, serverNonce);
            return;
        }

        lock (_shared)
        {
            AuthenticatedWire.SealReply(_shared.Get(key), packet, key.Id, callNonce, serverNonce);
        }
    }

    /// <summary>AES-GCM instances by key for one thread; emptied when the ring changes (a removed key must stop working).</summary>
    internal sealed class CipherCache(R2P2KeyRing ring)
    {
        private readonly Dictionary<R2P2Key, AesGcm> _ciphers = new(ReferenceEqualityComparer.Instance);
        private int _version = ring.Version;

        public AesGcm? Get(uint keyId, out R2P2Key? key)
        {
            Refresh();
            return ring.TryGet(keyId, out key) ? Get(key) : null;
        }

        public AesGcm Get(R2P2Key key)
        {
            if (!_ciphers.TryGetValue(key, out var cipher))
            {
                cipher = key.CreateCipher();
                _ciphers.Add(key, cipher);
            }

            return cipher;
        }

        private void Refresh()
        {
            var version = ring.Version;
            if (version == _version)
            {
                return;
            }

            foreach (var cipher in _ciphers.Values)
            {
                cipher.Dispose();
            }

            _ciphers.Clear();
            _version = version;
        }
    }
}
