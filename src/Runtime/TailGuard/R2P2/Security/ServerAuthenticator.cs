using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Threading;

namespace TailGuard.R2P2.Security;

/// <summary>
/// A server's side of the authenticated mode, shared by its receive loops: the key ring, the server nonce counter (a
/// random 64-bit start, one per reply message, over all loops), a replay window per key of the ring
/// (<see cref="RequestReplayWindow"/>, made at the key's first request, so the table is as large as the ring), and
/// AES-GCM instances per key, which are not thread-safe: each loop keeps its own (<see cref="CreateCache"/>); other
/// threads (answering deferred responses) share one set under a lock.
/// </summary>
internal sealed class ServerAuthenticator
{
    private readonly CipherCache _shared;
    private readonly int _replayWindow;
    private readonly TimeSpan _maxClockSkew;
    private readonly object _windowsSync = new();
    private readonly ulong _startFloor;
    private readonly int _startRingVersion;
    private Dictionary<R2P2Key, RequestReplayWindow> _windows = new(ReferenceEqualityComparer.Instance);
    private long _serverNonce;

    /// <summary>Creates the shared state.</summary>
    /// <param name="ring">The keys.</param>
    /// <param name="replayWindow">How many recent call nonces to remember per key.</param>
    /// <param name="maxClockSkew">How far a client's clock may lag the server's: nonces older than a key's window by more are refused.</param>
    public ServerAuthenticator(R2P2KeyRing ring, int replayWindow, TimeSpan maxClockSkew)
    {
        Ring = ring;
        _replayWindow = replayWindow;
        _maxClockSkew = maxClockSkew;
        _startFloor = AuthenticatedWire.CallNonceAt(DateTime.UtcNow - maxClockSkew);
        _startRingVersion = ring.Version;
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

    /// <summary>
    /// Takes a request's call nonce (of its only or FIRST packet, whose tag verified under <paramref name="key"/>) once:
    /// false for a replay, a nonce the key's window has taken or one older than the window (docs/security.md).
    /// </summary>
    public bool TryAcceptCall(R2P2Key key, ulong callNonce)
    {
        if (!Volatile.Read(ref _windows).TryGetValue(key, out var window))
        {
            window = AddWindow(key);
        }

        return window.TryAccept(callNonce);
    }

    /// <summary>How many keys have a replay window (never more than the ring has held since its last change).</summary>
    internal int WindowCount => Volatile.Read(ref _windows).Count;

    /// <summary>
    /// Makes a key's window at its first request. It refuses calls begun before the server started (less the clock
    /// skew), which keeps requests recorded before a restart out; once the ring has changed, before the window is made
    /// (a key added, or removed and added again, whose old window is gone). The table is rebuilt without the keys the
    /// ring has lost, and a key the ring no longer holds gets a window that is not kept, so the table never outgrows the ring.
    /// </summary>
    private RequestReplayWindow AddWindow(R2P2Key key)
    {
        lock (_windowsSync)
        {
            if (_windows.TryGetValue(key, out var window))
            {
                return window;
            }

            var floor = Ring.Version == _startRingVersion ? _startFloor : AuthenticatedWire.CallNonceAt(DateTime.UtcNow - _maxClockSkew);
            window = new RequestReplayWindow(_replayWindow, floor);
            var next = new Dictionary<R2P2Key, RequestReplayWindow>(ReferenceEqualityComparer.Instance);
            foreach (var (held, heldWindow) in _windows)
            {
                if (Ring.TryGet(held.Id, out var current) && ReferenceEquals(current, held))
                {
                    next.Add(held, heldWindow);
                }
            }

            if (Ring.TryGet(key.Id, out var inRing) && ReferenceEquals(inRing, key))
            {
                next.Add(key, window);
            }

            Volatile.Write(ref _windows, next);
            return window;
        }
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
