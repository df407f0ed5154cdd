using System;
using System.Security.Cryptography;

namespace TailGuard.R2P2.Security;

/// <summary>
/// One client's side of the authenticated mode: its key, one AES-GCM instance, and the call nonce counter (a random
/// 64-bit start, then one per call: unique under the key as long as one client holds it, see <see cref="R2P2Key"/>).
/// Used under the client's lock (the protocol's caller serializes), so one cipher instance is enough.
/// </summary>
internal sealed class ClientAuthenticator : IDisposable
{
    private readonly R2P2Key _key;
    private readonly AesGcm _cipher;
    private ulong _nextNonce;

    public ClientAuthenticator(R2P2Key key)
    {
        _key = key;
        _cipher = key.CreateCipher();
        Span<byte> start = stackalloc byte[8];
        RandomNumberGenerator.Fill(start);
        _nextNonce = BitConverter.ToUInt64(start);
    }

    public uint KeyId => _key.Id;

    public ulong NextCallNonce() => unchecked(_nextNonce++);

    public void Seal(PacketBuffer packet, ulong callNonce) => AuthenticatedWire.SealRequest(_cipher, packet, _key.Id, callNonce);

    public bool TryOpen(PacketBuffer packet, ulong callNonce, out ulong serverNonce) => AuthenticatedWire.TryOpenReply(_cipher, packet, _key.Id, callNonce, out serverNonce);

    public void Dispose() => _cipher.Dispose();
}
