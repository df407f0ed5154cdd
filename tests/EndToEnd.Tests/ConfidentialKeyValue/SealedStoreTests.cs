using System;
using System.Linq;
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
    public async Task Two_threads_putting_and_getting_through_a_domain_on_two_cores_always_read_back_the_value()
    {
        // What the demo's two receive loops do: each thread calls the domain on its own core, concurrently.
        using var sealer = new Sealer();
        await using var domain = SealerBoundary.Host(sealer, new TrustDomainHostOptions { CoreCount = 2 });
        var store = new SealedStore(domain.Proxy);
        byte[] value = "sealed on two cores at once"u8.ToArray();
        byte[][] keys = [.. System.Linq.Enumerable.Range(0, 8).Select(i => System.Text.Encoding.ASCII.GetBytes("key-" + i))];
        foreach (byte[] key in keys)
        {
            Assert.True(store.Put(key, value));
        }

        const int Operations = 2000;
        int[] wrong = new int[2];
        Task[] loops = [.. System.Linq.Enumerable.Range(0, 2).Select(loop => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(loop);
                byte[] destination = new byte[Limits.MaxValueBytes];
                for (int operation = 0; operation < Operations; operation++)
                {
                    byte[] key = keys[random.Next(keys.Length)];
                    if (random.Next(4) == 0)
                    {
                        wrong[loop] += store.Put(key, value) ? 0 : 1;
                    }
                    else
                    {
                        int length = store.Get(key, destination);
                        wrong[loop] += length == value.Length && destination.AsSpan(0, length).SequenceEqual(value) ? 0 : 1;
                    }
                }
            },
            System.Threading.CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))];
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal([0, 0], wrong);
        Assert.Equal(keys.Length + (2 * Operations), domain.Counters.Completed);
        Assert.Equal(0, domain.Counters.EntriesRefused);
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
