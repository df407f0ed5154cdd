using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Tests.Properties;
using TailGuard.Generators.Tests.Regressions;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// Issue 12's generated client: an I{Name}Client interface a test can implement instead of the network, an optional
/// per-call timeout on every method (null: the wrapped client's), and docs that inherit the contract's.
/// </summary>
[Collection(PropertyCollection.Name)]
public sealed class GeneratedClientTests
{
    private const string Contract = """
        using System;
        using TailGuard;

        namespace Clients;

        /// <summary>A store.</summary>
        [R2P2Service]
        public interface IStore
        {
            /// <summary>Reads a value.</summary>
            /// <param name="key">The key.</param>
            /// <param name="destination">Where the value goes.</param>
            /// <returns>The value's length.</returns>
            int Get(ReadOnlySpan<byte> key, Span<byte> destination);

            /// <summary>Counts.</summary>
            /// <returns>The count.</returns>
            long Count();
        }
        """;

    [Fact]
    public void The_client_interface_can_be_implemented_by_a_fake_that_code_under_test_calls()
        => Issue20RegressionTests.CompileAndRun(Contract, """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using TailGuard.R2P2;
            using TailGuard.R2P2.Simulation;
            using TgTest;

            namespace Clients;

            internal sealed class FakeStore : IStoreClient
            {
                public ValueTask<int> GetAsync(ReadOnlyMemory<byte> key, Memory<byte> destination, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
                {
                    destination.Span[0] = key.Span[0];
                    return new ValueTask<int>(1);
                }

                public ValueTask<R2P2ResultLease<int>> GetLeaseAsync(ReadOnlyMemory<byte> key, int destinationCapacity, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
                    => throw new NotSupportedException();

                public ValueTask<long> CountAsync(CancellationToken cancellationToken = default, TimeSpan? timeout = null) => new ValueTask<long>(42L);
            }

            internal sealed class Cache(IStoreClient store)
            {
                public async Task<long> SizeAsync() => await store.CountAsync();
            }

            internal static class TgDriver
            {
                public static async Task RunAsync()
                {
                    IStoreClient store = new FakeStore();
                    Check.Same(42L, await new Cache(store).SizeAsync(), "the fake's count");
                    byte[] buffer = new byte[1];
                    Check.Same(1, await store.GetAsync(new byte[] { 7 }, buffer), "the fake's read");
                    Check.Same<byte>(7, buffer[0], "the fake's bytes");
                }
            }
            """);

    [Fact]
    public void A_per_call_timeout_ends_a_call_the_server_never_answers_and_null_leaves_the_clients_own()
        => Issue20RegressionTests.CompileAndRun(Contract, """
            using System;
            using System.Threading.Tasks;
            using TailGuard.R2P2;
            using TailGuard.R2P2.Simulation;
            using TgTest;

            namespace Clients;

            internal static class TgDriver
            {
                public static async Task RunAsync()
                {
                    // Nothing is bound at the server's address: every request is lost. The client's own timeout is an
                    // hour, so only the per-call timeout can end these calls within the test's bound.
                    var network = new InMemoryNetwork(seed: 5);
                    await using var r2p2 = new R2P2Client(network.Bind("10.8.0.2:0"), PacketAddress.Parse("10.8.0.1:9000"), new R2P2ClientOptions { Timeout = TimeSpan.FromHours(1) });
                    IStoreClient client = new StoreClient(r2p2);

                    await Expect<R2P2TimeoutException>(async () => await client.CountAsync(timeout: TimeSpan.FromMilliseconds(50)), "Count with a timeout");
                    await Expect<R2P2TimeoutException>(async () => await client.GetAsync(new byte[] { 1 }, new byte[4], default, TimeSpan.FromMilliseconds(50)), "Get with a timeout");
                    await Expect<R2P2TimeoutException>(async () => (await client.GetLeaseAsync(new byte[] { 1 }, 4, timeout: TimeSpan.FromMilliseconds(50))).Dispose(), "GetLease with a timeout");
                    await Expect<ArgumentOutOfRangeException>(async () => await client.CountAsync(timeout: TimeSpan.Zero), "a zero timeout");

                    // Without one the call waits for the client's hour: it is still pending when cancelled.
                    using var cancel = new System.Threading.CancellationTokenSource();
                    ValueTask<long> pending = client.CountAsync(cancel.Token);
                    await Task.Delay(200);
                    Check.Same(false, pending.IsCompleted, "a call without a timeout of its own after 200 ms");
                    cancel.Cancel();
                    await Expect<OperationCanceledException>(async () => await pending, "the cancelled call");
                }

                private static async Task Expect<T>(Func<Task> call, string what) where T : Exception
                {
                    try
                    {
                        await call();
                    }
                    catch (T)
                    {
                        return;
                    }

                    throw new InvalidOperationException(what + ": expected " + typeof(T).Name);
                }
            }
            """);

    [Fact]
    public void Client_methods_inherit_the_contract_docs_and_document_only_what_they_add()
    {
        var (output, _, run) = Infrastructure.GeneratorHarness.Run(new TailGuard.Generators.R2P2.R2P2ServiceGenerator(), Contract);
        string generated = run.GeneratedTrees.Single().ToString();

        Assert.Contains("/// <inheritdoc cref=\"global::Clients.IStore.Get(global::System.ReadOnlySpan{byte}, global::System.Span{byte})\"/>", generated, System.StringComparison.Ordinal);
        Assert.Contains("<param name=\"key\"><inheritdoc cref=\"global::Clients.IStore.Get(global::System.ReadOnlySpan{byte}, global::System.Span{byte})\" path=\"/param[@name='key']/node()\"/></param>", generated, System.StringComparison.Ordinal);
        Assert.Contains("<param name=\"timeout\">", generated, System.StringComparison.Ordinal);
        IMethodSymbol get = (IMethodSymbol)output.GetTypeByMetadataName("Clients.IStoreClient")!.GetMembers("GetAsync").Single();
        Assert.Contains("<inheritdoc cref=\"M:Clients.IStore.Get(System.ReadOnlySpan{System.Byte},System.Span{System.Byte})\"", get.GetDocumentationCommentXml(), System.StringComparison.Ordinal);
    }

    [Fact]
    public void The_provenance_header_and_GeneratedCode_carry_the_version_of_the_generators_assembly()
    {
        string version = typeof(TailGuard.Generators.R2P2.R2P2ServiceGenerator).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        var (_, _, r2p2) = Infrastructure.GeneratorHarness.Run(new TailGuard.Generators.R2P2.R2P2ServiceGenerator(), Contract);
        var (_, _, boundary) = Infrastructure.GeneratorHarness.Run(new TailGuard.Generators.TrustDomain.TrustDomainGenerator(), TrustDomain.BoundarySources.Vault);

        foreach (string generated in r2p2.GeneratedTrees.Concat(boundary.GeneratedTrees).Select(t => t.ToString()))
        {
            Assert.StartsWith("// <auto-generated/>\n// Generated by TailGuard.Generators " + version + " from the [", generated, System.StringComparison.Ordinal);
            Assert.Contains("[global::System.CodeDom.Compiler.GeneratedCode(\"TailGuard.Generators\", \"" + version + "\")]", generated, System.StringComparison.Ordinal);
            Assert.DoesNotContain(" sealed class ", generated, System.StringComparison.Ordinal); // every generated type is partial
        }
    }

    [Fact]
    public void A_plain_client_has_a_batch_constructor_and_a_replicated_client_has_none()
    {
        // A replicated client's calls go through a ReplicatedClient (fan-out and retries), which has no batch form.
        const string Contracts = """
            using TailGuard;
            namespace Shop;
            [R2P2Service(Replicated = true)]
            public interface ICounter { long Add(long amount); }

            [R2P2Service]
            public interface IPlain { long Get(long key); }
            """;
        const string ReplicationStandIn = "namespace TailGuard.Replication; public interface IReplicatedService { } public sealed class ReplicatedClient { }";
        Compilation input = Infrastructure.GeneratorHarness.Compile(Contracts, ReplicationStandIn);
        Infrastructure.GeneratorHarness.CreateDriver(new TailGuard.Generators.R2P2.R2P2ServiceGenerator()).RunGeneratorsAndUpdateCompilation(input, out Compilation output, out _);

        static string[] Constructors(Compilation compilation, string client)
            => compilation.GetTypeByMetadataName(client)!.InstanceConstructors.Select(c => string.Join(", ", c.Parameters.Select(p => p.Type.ToDisplayString()))).OrderBy(p => p, System.StringComparer.Ordinal).ToArray();

        Assert.Equal(new[] { "TailGuard.R2P2.R2P2CallBatch", "TailGuard.R2P2.R2P2Client" }, Constructors(output, "Shop.PlainClient"));
        Assert.Equal(new[] { "TailGuard.Replication.ReplicatedClient" }, Constructors(output, "Shop.CounterClient"));
    }
}
