using System;
using System.Linq;
using TailGuard.R2P2;
using TailGuard.R2P2.Security;

namespace TailGuard.Tests.R2P2.Security;

/// <summary>
/// The server's per-key memory of call nonces (docs/security.md, "Replayed requests"), without I/O: each nonce is taken
/// once, calls may arrive out of order by up to the window, older ones are refused, and the memory is fixed per key
/// with no more keys than the ring holds.
/// </summary>
public sealed class RequestReplayWindowTests
{
    private const ulong Start = 17_000_000_000_000_000; // a time's nonce, in 2023

    [Fact]
    public void Each_nonce_is_taken_once_in_any_order_within_the_window()
    {
        var window = new RequestReplayWindow(64, Start);
        var nonces = Enumerable.Range(1, 64).Select(i => Start + ((ulong)i * 1000)).OrderBy(n => (n * 2654435761) % 97).ToArray();

        Assert.All(nonces, nonce => Assert.True(window.TryAccept(nonce), $"{nonce} refused the first time"));
        Assert.All(nonces, nonce => Assert.False(window.TryAccept(nonce), $"{nonce} taken twice"));
        Assert.False(window.TryAccept(Start), "the floor itself was taken");
        Assert.False(window.TryAccept(Start - 1), "a nonce below the floor was taken");
    }

    [Fact]
    public void When_full_the_oldest_nonce_becomes_the_floor()
    {
        var window = new RequestReplayWindow(16, Start);
        for (ulong i = 1; i <= 16; i++)
        {
            Assert.True(window.TryAccept(Start + (i * 10)));
        }

        Assert.True(window.TryAccept(Start + 5), "a nonce older than all remembered but above the floor is new");
        Assert.False(window.TryAccept(Start + 3), "the floor did not rise to the nonce that could not be kept");
        Assert.True(window.TryAccept(Start + 1000)); // forgets Start + 10, the floor rises to it
        Assert.False(window.TryAccept(Start + 10), "a forgotten nonce was taken again");
        Assert.False(window.TryAccept(Start + 7), "a nonce below the floor was taken");
        Assert.True(window.TryAccept(Start + 15), "a nonce above the floor, never seen, was refused");
        for (ulong i = 2; i <= 16; i++)
        {
            Assert.False(window.TryAccept(Start + (i * 10)), $"{i * 10} taken twice");
        }
    }

    [Fact]
    public void A_long_run_keeps_refusing_everything_it_took()
    {
        var window = new RequestReplayWindow(1024, Start);
        var taken = 0;
        for (ulong i = 1; i <= 200_000; i++)
        {
            // Out of order by up to 8 calls: each block of 8 arrives reversed.
            var nonce = Start + (((i - 1) / 8 * 8) + (8 - ((i - 1) % 8)));
            taken += window.TryAccept(nonce) ? 1 : 0;
        }

        Assert.Equal(200_000, taken);
        for (ulong i = 1; i <= 200_000; i += 997)
        {
            Assert.False(window.TryAccept(Start + i));
        }
    }

    [Fact]
    public void The_server_keeps_a_window_only_for_keys_its_ring_holds()
    {
        using var keyA = R2P2Key.Generate(1);
        using var keyB = R2P2Key.Generate(2);
        using var keyC = R2P2Key.Generate(3);
        var ring = new R2P2KeyRing(keyA, keyB);
        var authenticator = new ServerAuthenticator(ring, 64, TimeSpan.FromSeconds(1));
        var now = AuthenticatedWire.CallNonceAt(DateTime.UtcNow);

        Assert.True(authenticator.TryAcceptCall(keyA, now));
        Assert.True(authenticator.TryAcceptCall(keyB, now)); // one window per key: the same nonce under another key is new
        Assert.False(authenticator.TryAcceptCall(keyA, now));
        Assert.Equal(2, authenticator.WindowCount);

        Assert.True(ring.Remove(keyA.Id));
        Assert.True(ring.TryAdd(keyC));
        Assert.True(authenticator.TryAcceptCall(keyC, now + 1));
        Assert.Equal(2, authenticator.WindowCount); // A's window went with A
        Assert.True(authenticator.TryAcceptCall(keyA, now + 2)); // a loop that verified A just before it went: not kept
        Assert.Equal(2, authenticator.WindowCount);
        Assert.False(authenticator.TryAcceptCall(keyA, AuthenticatedWire.CallNonceAt(DateTime.UtcNow - TimeSpan.FromSeconds(5))), "a call from before the ring changed was taken");
    }
}
