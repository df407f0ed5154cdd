using System;
using System.Threading.Tasks;
using TailGuard.Boundary;
using TailGuard.Samples.ConfidentialKeyValue;

namespace TailGuard.EndToEnd.Tests.ConfidentialKeyValue;

/// <summary>The demo's request handler and its sealing domain, hosted on the simulated monitor, driven in-process.</summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class SealedStoreTests
{
    private static TrustDomainHost<ISealer> HostSealer(Sealer sealer) => SealerBoundary.Host(sealer, new TrustDomainHostOptions());

    [Fact]
    public async Task A_value_reads_back_and_rests_only_as_nonce_tag_and_ciphertext()
    {
        using var sealer = new Sealer();
        await using var domain = HostSealer(sealer);
        var store = new SealedStore(domain.Proxy);
        byte[] value = "the quick brown fox"u8.ToArray();

        Assert.True(store.Put("k"u8, value));
        byte[] destination = new byte[Limits.MaxValueBytes];
        int length = store.Get("k"u8, destination);

        Assert.Equal(value, destination.AsSpan(0, length).ToArray());
        byte[] atRest = store.SealedValue("k"u8).ToArray();
        Assert.Equal(value.Length + Limits.SealOverhead, atRest.Length);
        Assert.Equal(-1, atRest.AsSpan().IndexOf(value));
        Assert.Equal(-1, store.Get("absent"u8, destination));
    }

    [Fact]
    public async Task Sealing_the_same_value_twice_uses_fresh_nonces()
    {
        using var sealer = new Sealer();
        await using var domain = HostSealer(sealer);
        byte[] first = new byte[Limits.MaxSealedBytes];
        byte[] second = new byte[Limits.MaxSealedBytes];

        int length = domain.Proxy.Seal("k"u8, "same"u8, first);
        Assert.Equal(length, domain.Proxy.Seal("k"u8, "same"u8, second));

        Assert.False(first.AsSpan(0, Limits.NonceBytes).SequenceEqual(second.AsSpan(0, Limits.NonceBytes)));
        Assert.False(first.AsSpan(0, length).SequenceEqual(second.AsSpan(0, length)));
    }

    [Fact]
    public async Task A_tampered_value_or_one_moved_to_another_key_does_not_open()
    {
        using var sealer = new Sealer();
        await using var domain = HostSealer(sealer);
        byte[] sealedValue = new byte[Limits.MaxSealedBytes];
        int length = domain.Proxy.Seal("alice"u8, "balance=100"u8, sealedValue);
        byte[] plaintext = new byte[Limits.MaxValueBytes];

        Assert.Equal(11, domain.Proxy.Open("alice"u8, sealedValue.AsSpan(0, length), plaintext.AsSpan(0, 11)));
        Assert.Equal(-1, domain.Proxy.Open("mallory"u8, sealedValue.AsSpan(0, length), plaintext.AsSpan(0, 11)));
        Assert.Equal(new byte[11], plaintext.AsSpan(0, 11).ToArray());
        for (int i = 0; i < length; i++)
        {
            sealedValue[i] ^= 0x01;
            Assert.Equal(-1, domain.Proxy.Open("alice"u8, sealedValue.AsSpan(0, length), plaintext.AsSpan(0, 11)));
            sealedValue[i] ^= 0x01;
        }

        Assert.Equal(-1, domain.Proxy.Open("alice"u8, sealedValue.AsSpan(0, Limits.SealOverhead - 1), plaintext));
        Assert.Equal(0, domain.Counters.Refused);
    }

    [Fact]
    public async Task Steady_state_puts_and_gets_through_the_domain_allocate_nothing()
    {
        using var sealer = new Sealer();
        await using var domain = HostSealer(sealer);
        var store = new SealedStore(domain.Proxy);
        byte[] key = "key-000001"u8.ToArray();
        byte[] value = new byte[64];
        byte[] destination = new byte[Limits.MaxValueBytes];
        AllocationReport report = AllocationWindows.OnThisThread(i =>
        {
            value[0] = (byte)i;
            store.Put(key, value);
            store.Get(key, destination);
        });

        report.AssertNoPerCallAllocation();
        Assert.Equal(value, destination.AsSpan(0, value.Length).ToArray());
    }
}
