using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.Tests.Properties;

namespace TailGuard.Generators.Tests.Regressions;

/// <summary>
/// One regression test per kind of contract issue 20 found failing: each contract is generated, analyzed and compiled
/// with nullable on, XML docs diagnosed and every warning reported (any warning fails), then called end to end.
/// </summary>
[Collection(PropertyCollection.Name)]
public sealed class Issue20RegressionTests
{
    /// <summary>A test source serving one handler over a fresh in-memory network to one client.</summary>
    internal const string Network = """
        using System;
        using System.Threading.Tasks;
        using TailGuard.R2P2;
        using TailGuard.R2P2.Simulation;

        namespace TgTest
        {
            internal static class Network
            {
                public static async Task ServeAsync(IR2P2Handler handler, Func<R2P2Client, Task> calls)
                {
                    var network = new InMemoryNetwork(seed: 3);
                    await using var server = new R2P2Server(network.Bind("10.9.0.1:9000"), handler);
                    await using var client = new R2P2Client(network.Bind("10.9.0.2:0"), server.LocalAddress, new R2P2ClientOptions { Timeout = TimeSpan.FromSeconds(30) });
                    await calls(client);
                }
            }
        }
        """;

    [Fact]
    public void Nullable_value_types_and_nullable_strings_cross_R2P2_as_null_and_as_values()
        => CompileAndRun(RegressionSources.NullableValues, """
            using System;
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.NullableValues;

            internal sealed class Optional : IOptional
            {
                public Guid? Id;
                public Level? Level;
                public int Calls;

                public int? Echo(int? value, Guid? id, Level? level)
                {
                    Calls++;
                    Id = id;
                    Level = level;
                    return value + 1;
                }

                public string? Find(string? key) => key?.ToUpperInvariant();
            }

            internal static class TgDriver
            {
                public static Task RunAsync()
                {
                    var optional = new Optional();
                    return Network.ServeAsync(new OptionalDispatcher(optional), async r2p2 =>
                    {
                        IOptionalClient client = new OptionalClient(r2p2);
                        Check.Same<int?>(null, await client.EchoAsync(null, null, null), "a null int? result");
                        Check.Same<Guid?>(null, optional.Id, "a null Guid? argument");
                        Check.Same<Level?>(null, optional.Level, "a null enum? argument");
                        Guid id = Guid.NewGuid();
                        Check.Same<int?>(42, await client.EchoAsync(41, id, Level.Low), "an int? result");
                        Check.Same<Guid?>(id, optional.Id, "a Guid? argument");
                        Check.Same<Level?>(Level.Low, optional.Level, "an enum? argument");
                        Check.Same<int?>(int.MinValue, await client.EchoAsync(int.MaxValue, null, (Level)77), "an int? result that wraps");
                        Check.Same<Level?>((Level)77, optional.Level, "an enum? argument outside its members");
                        Check.Same<string?>(null, await client.FindAsync(null), "a null string? round trip");
                        Check.Same<string?>("ÄBC", await client.FindAsync("äbc"), "a string? round trip");
                        Check.Same<int>(3, optional.Calls, "the calls the implementation saw");
                    });
                }
            }
            """);

    [Fact]
    public void Methods_named_like_keywords_are_escaped_wherever_the_generated_code_names_them()
        => CompileAndRun(RegressionSources.KeywordMethods, """
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.Keywords;

            internal sealed class Keywords : IKeywords
            {
                public int Locks;

                public int @checked(int value) => value;

                public void @lock() => Locks++;

                public long @event(long @class) => @class;
            }

            internal static class TgDriver
            {
                public static Task RunAsync()
                {
                    var keywords = new Keywords();
                    return Network.ServeAsync(new KeywordsDispatcher(keywords), async r2p2 =>
                    {
                        IKeywordsClient client = new KeywordsClient(r2p2);
                        Check.Same(-7, await client.checkedAsync(-7), "checked");
                        await client.lockAsync();
                        Check.Same(1, keywords.Locks, "lock");
                        Check.Same(long.MaxValue, await client.eventAsync(long.MaxValue), "event");
                    });
                }
            }
            """);

    [Fact]
    public void Parameters_named_like_generated_identifiers_keep_their_names_and_the_generated_ones_step_aside()
    {
        Compilation compilation = CompileAndRun(RegressionSources.CollidingNames, """
            using System;
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.Collisions;

            internal sealed class Store : IStore
            {
                public (int Capacity, int DestinationCapacity, long Token, int Timeout) Last;

                public int Read(Span<byte> destination, int destinationCapacity, long cancellationToken, int timeout)
                {
                    Last = (destination.Length, destinationCapacity, cancellationToken, timeout);
                    destination[0] = 9;
                    return 1;
                }

                public long Locals(int __state, int __call, int _client, int __timeout, int _batch) => __state + 10L * __call + 100L * _client + 1000L * __timeout + 10000L * _batch;
            }

            internal sealed class Vault : IVault
            {
                public long Store(int End, int Data, int __call, int _channel) => End + 10L * Data + 100L * __call + 1000L * _channel;

                public void Copy(ReadOnlySpan<byte> __frame, Span<byte> output) => __frame.CopyTo(output);
            }

            internal static class TgDriver
            {
                public static async Task RunAsync()
                {
                    var store = new Store();
                    await Network.ServeAsync(new StoreDispatcher(store), async r2p2 =>
                    {
                        IStoreClient client = new StoreClient(r2p2);
                        byte[] buffer = new byte[4];
                        Check.Same(1, await client.ReadAsync(buffer, 5, 7L, 11, default, TimeSpan.FromSeconds(20)), "Read");
                        Check.Same((4, 5, 7L, 11), store.Last, "Read's arguments");
                        Check.Same<byte>(9, buffer[0], "Read's destination");
                        using (var lease = await client.ReadLeaseAsync(3, 6, 8L, 12))
                        {
                            Check.Same(1, lease.Result, "ReadLease");
                        }

                        Check.Same((3, 6, 8L, 12), store.Last, "ReadLease's arguments");
                        Check.Same(54321L, await client.LocalsAsync(1, 2, 3, 4, 5), "Locals");

                        // The batch form's field steps aside from a parameter named _batch too.
                        var batch = r2p2.CreateBatch();
                        var queued = new StoreClient(batch).LocalsAsync(5, 4, 3, 2, 1);
                        batch.Flush();
                        Check.Same(12345L, await queued, "Locals through a batch");
                    });

                    using var host = VaultBoundary.Host(new Vault());
                    Check.Same(4321L, host.Proxy.Store(1, 2, 3, 4), "Store");
                    byte[] output = new byte[3];
                    host.Proxy.Copy(new byte[] { 1, 2, 3 }, output);
                    Check.Sequence(new byte[] { 1, 2, 3 }, output, "Copy");
                }
            }
            """);

        // The documented renaming: a generated parameter whose name a user parameter has takes a trailing '_'.
        IMethodSymbol lease = (IMethodSymbol)compilation.GetTypeByMetadataName("Regressions.Collisions.IStoreClient")!.GetMembers("ReadLeaseAsync").Single();
        Assert.Equal(new[] { "destinationCapacity_", "destinationCapacity", "cancellationToken", "timeout", "cancellationToken_", "timeout_" }, lease.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void Contracts_nested_in_generic_types_get_crefs_that_resolve_and_work()
        => CompileAndRun(RegressionSources.NestedInGeneric, """
            using System;
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.Generic;

            public static partial class Outer<T>
            {
                public partial class Inner
                {
                    private sealed class Clock : IClock
                    {
                        public long Now(int zone) => zone * 3600L;
                    }

                    private sealed class Vault : IVault
                    {
                        public bool Verify(ReadOnlySpan<byte> password) => password.SequenceEqual("secret"u8);

                        public bool Verify(int pin) => pin == 1234;
                    }

                    private static class TgDriver
                    {
                        public static async Task RunAsync()
                        {
                            await Network.ServeAsync(new ClockDispatcher(new Clock()), async r2p2 =>
                                Check.Same(7200L, await new ClockClient(r2p2).NowAsync(2), "Now"));
                            using var host = VaultBoundary.Host(new Vault());
                            Check.Same(true, host.Proxy.Verify("secret"u8), "Verify(span)");
                            Check.Same(false, host.Proxy.Verify("Secret"u8), "Verify(span), wrong");
                            Check.Same(true, host.Proxy.Verify(1234), "Verify(int)");
                        }
                    }
                }
            }
            """);

    [Fact]
    public void Nullable_strings_cross_a_trust_boundary_as_null_and_as_text()
        => CompileAndRun(RegressionSources.NullableReferences, """
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.NullableReferences;

            internal sealed class Log : ILog
            {
                public string? Category;

                public int Write(string? message, string category)
                {
                    Category = category;
                    return message?.Length ?? -1;
                }
            }

            internal static class TgDriver
            {
                public static Task RunAsync()
                {
                    var log = new Log();
                    using var host = LogBoundary.Host(log);
                    Check.Same(-1, host.Proxy.Write(null, "none"), "a null string");
                    Check.Same("none", log.Category, "the string after a null one");
                    Check.Same(5, host.Proxy.Write("héllo", "some"), "a string");
                    Check.Same(0, host.Proxy.Write(string.Empty, "empty"), "an empty string");
                    return Task.CompletedTask;
                }
            }
            """);

    [Fact]
    public void Obsolete_members_compile_without_warnings_in_generated_code_and_stay_obsolete_for_callers()
    {
        Compilation compilation = CompileAndRun(RegressionSources.Obsolete, """
            using System;
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.Obsolete;

            [Obsolete]
            internal sealed class Old : IOld, IOldVault, IRetired, IPoints
            {
                public OldPoint Move(OldPoint point) => new OldPoint { X = point.X + 1 };
                public int Plain() => 1;
                public int Message() => 2;
                public int Error() => 3;
                public int Tracked() => 4;
                public int Current() => 5;
                public int Error(int value) => value;
                public void Warn() { }
                public void Ping() { }
            }

            [Obsolete]
            internal static class TgDriver
            {
                public static async Task RunAsync()
                {
                    var old = new Old();
                    await Network.ServeAsync(new OldDispatcher(old), async r2p2 =>
                    {
                        IOldClient client = new OldClient(r2p2);
                        Check.Same(1, await client.PlainAsync(), "Plain");
                        Check.Same(2, await client.MessageAsync(), "Message");
                        Check.Same(3, await client.ErrorAsync(), "Error");
                        Check.Same(4, await client.TrackedAsync(), "Tracked");
                        Check.Same(5, await client.CurrentAsync(), "Current");
                    });
                    await Network.ServeAsync(new RetiredDispatcher(old), async r2p2 => await new RetiredClient(r2p2).PingAsync());
                    await Network.ServeAsync(new PointsDispatcher(old), async r2p2 =>
                        Check.Same(3, (await new PointsClient(r2p2).MoveAsync(new OldPoint { X = 2 })).X, "Move"));
                    using var host = OldVaultBoundary.Host(old);
                    Check.Same(8, host.Proxy.Error(8), "Error(int)");
                    host.Proxy.Warn();
                }
            }
            """);

        // The generated client methods carry the contract's [Obsolete] exactly, so callers are warned (or stopped) as by the contract.
        INamedTypeSymbol client = compilation.GetTypeByMetadataName("Regressions.Obsolete.IOldClient")!;
        Assert.Equal(("Gone.", true), Obsolete(client, "ErrorAsync"));
        Assert.Equal(("Use Current.", false), Obsolete(client, "MessageAsync"));
        Assert.Equal(((string?)null, false), Obsolete(client, "PlainAsync"));
        Assert.Null(client.GetMembers("CurrentAsync").Single().GetAttributes().SingleOrDefault(a => a.AttributeClass!.Name == "ObsoleteAttribute"));
        Assert.Contains(client.GetMembers("TrackedAsync").Single().GetAttributes().Single(a => a.AttributeClass!.Name == "ObsoleteAttribute").NamedArguments, a => a.Key == "DiagnosticId" && (string?)a.Value.Value == "OLD0001");
        Assert.Contains(compilation.GetTypeByMetadataName("Regressions.Obsolete.RetiredClient")!.GetAttributes(), a => a.AttributeClass!.Name == "ObsoleteAttribute");

        // A caller outside any obsolete context sees each member's own diagnostic, in its own code.
        string caller = """
            namespace Regressions.Obsolete;

            internal static class Caller
            {
                public static async System.Threading.Tasks.Task CallAsync(IOldClient client)
                {
                    await client.MessageAsync();
                    await client.ErrorAsync();
                    await client.TrackedAsync();
                }
            }
            """;
        var (output, _, _) = GeneratorHarness.Run(new TailGuard.Generators.R2P2.R2P2ServiceGenerator(), RegressionSources.Obsolete, caller);
        var callerDiagnostics = output.GetDiagnostics().Where(d => d.Location.SourceTree?.FilePath == "Source1.cs").Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal);
        Assert.Equal(new[] { "CS0618", "CS0619", "OLD0001" }, callerDiagnostics);
    }

    [Fact]
    public void Very_long_names_generate_short_enough_file_names_and_work()
        => CompileAndRun(RegressionSources.VeryLongNames, """
            using System.Threading.Tasks;
            using TgTest;

            namespace Regressions.Long;

            internal sealed class Implementation : IVeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName, IDomainVeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName
            {
                public int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName(int VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName) => VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName + 1;
            }

            internal static class TgDriver
            {
                public static async Task RunAsync()
                {
                    await Network.ServeAsync(new VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLNameDispatcher(new Implementation()), async r2p2 =>
                        Check.Same(8, await new VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLNameClient(r2p2).VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLNameAsync(7), "the long method"));
                    using var host = DomainVeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLNameBoundary.Host(new Implementation());
                    Check.Same(10, host.Proxy.VeryLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLName(9), "the long domain method");
                }
            }
            """);

    private static (string? Message, bool IsError) Obsolete(INamedTypeSymbol type, string member)
    {
        AttributeData attribute = type.GetMembers(member).Single().GetAttributes().Single(a => a.AttributeClass!.Name == "ObsoleteAttribute");
        return (attribute.ConstructorArguments.Length > 0 ? (string?)attribute.ConstructorArguments[0].Value : null, attribute.ConstructorArguments.Length > 1 && (bool)attribute.ConstructorArguments[1].Value!);
    }

    internal static Compilation CompileAndRun(string contract, string driver)
    {
        Compilation compilation = ScenarioRunner.Compile(new[] { contract, driver, ScenarioWriter.CheckSource, Network });
        ScenarioRunner.Run(compilation, ScenarioWriter.DriverName, TimeSpan.FromSeconds(120));
        return compilation;
    }
}
