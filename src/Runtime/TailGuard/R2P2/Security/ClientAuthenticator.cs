using System;
using System.Security.Cryptography;

namespace TailGuard.R2P2.Security;

/// <summary>
/// One client's side of the authenticated mode: its key, one AES-GCM instance, and the call nonces: one per call, the
/// clock's time (<see cref="AuthenticatedWire.CallNonceAt"/>) or the last nonce plus one if that is later, so they grow
/// across calls and across the client's restarts (a server refuses a nonce it has taken, or one older than its memory
/// of the key: docs/security.md, "Replayed requests"), and never repeat under the key while one client holds it (see
/// <see cref="R2P2Key"/>) and its clock does not step back across a restart. A retry is a new call with a new nonce.
/// Used under the client's lock (the protocol's caller serializes), so one cipher instance is enough.
/// </summary>
internal sealed class ClientAuthenticator : IDisposable
{
    private readonly R2P2Key _key;
    private readonly AesGcm _cipher;
    private ulong _lastNonce;

    public ClientAuthenticator(R2P2Key key)
    {
        _key = key;
        _cipher = key.CreateCipher();
    }

    public uint KeyId => _key.Id;

    public ulong NextCallNonce() => _lastNonce = Math.Max(_lastNonce + 1, AuthenticatedWire.CallNonceAt(DateTime.UtcNow));

    public void Seal(PacketBuffer packet, ulong callNonce) => AuthenticatedWire.SealRequest(_cipher, packet, _key.Id, callNonce);

    public bool TryOpen(PacketBuffer packet, ulong callNonce, out ulong serverNonce) => AuthenticatedWire.TryOpenReply(_cipher, packet, _key.Id, callNonce, out serverNonce);

    public void Dispose() => _cipher.Dispose();
}
