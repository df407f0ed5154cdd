using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using TailGuard.Analyzers.Tests.Infrastructure;
using ContractVerifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Determinism.ReplicatedContractAnalyzer>;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Determinism.DeterminismAnalyzer>;

namespace TailGuard.Analyzers.Tests.Determinism;

public sealed class DeterminismTests
{
    [Fact]
    public Task Clock_random_guid_environment_io_hash_and_threads_in_a_replicated_apply_path_are_reported()
    {
        const string source = """
            using System;
            using System.Diagnostics;
            using System.IO;
            using System.Threading;
            using System.Threading.Tasks;
            using TailGuard;

            [R2P2Service(Replicated = true)]
            public interface IStore
            {
                long Put(string key, long value);
                [ReadOnly] long Get(string key);
            }

            public sealed class Store : IStore
            {
                private long _last;

                public long Put(string key, long value)
                {
                    _last = {|TG5001:DateTime.UtcNow|}.Ticks + {|TG5001:Stopwatch.GetTimestamp()|} + {|TG5001:Environment.TickCount64|};
                    _last += {|TG5002:new Random()|}.Next() + {|TG5002:Random.Shared|}.Next();
                    _last += {|TG5003:Guid.NewGuid()|}.GetHashCode();
                    _last += {|TG5004:Environment.GetEnvironmentVariable("X")|}?.Length ?? 0;
                    _last += {|TG5004:Environment.ProcessorCount|};
                    {|TG5005:File.WriteAllText("log", key)|};
                    _last += {|TG5006:key.GetHashCode()|} + {|TG5006:HashCode.Combine(key, value)|};
                    {|TG5007:Task.Run(() => _last++)|};
                    {|TG5007:ThreadPool.QueueUserWorkItem(_ => _last++)|};
                    return _last;
                }

                public long Get(string key) => {|TG5001:DateTimeOffset.Now|}.Ticks;
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Seeded_random_data_streams_and_unreplicated_services_and_other_methods_are_not_reported()
    {
        const string source = """
            using System;
            using System.IO;
            using TailGuard;

            [R2P2Service(Replicated = true)]
            public interface IStore { long Put(string key, long value); }

            [R2P2Service]
            public interface IPlain { long Now(); }

            [R2P2Service(Replicated = false)]
            public interface IExplicitlyPlain { long Later(); }

            public sealed class Store : IStore, IPlain, IExplicitlyPlain
            {
                private long _last;

                public long Put(string key, long value)
                {
                    var seeded = new Random(42).Next();
                    using var memory = new MemoryStream();
                    using var writer = new StreamWriter(memory);
                    writer.Write(key);
                    var text = Environment.NewLine + Path.Combine("a", "b");
                    _last = value + seeded + text.Length + key.Length;
                    return _last;
                }

                // Not an apply path: an unreplicated service, and a helper the apply path does not name.
                public long Now() => DateTime.UtcNow.Ticks;

                public long Later() => DateTime.UtcNow.Ticks;

                public long Stamp() => DateTime.UtcNow.Ticks + Guid.NewGuid().GetHashCode();
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Explicit_implementations_lambdas_and_local_functions_of_an_apply_path_are_covered()
    {
        const string source = """
            using System;
            using System.Net.Sockets;
            using TailGuard;

            [R2P2Service(Replicated = true)]
            public interface IStore { long Put(string key, long value); }

            public sealed class Store : IStore
            {
                long IStore.Put(string key, long value)
                {
                    Func<long> clock = () => {|TG5001:DateTime.Now|}.Ticks;
                    long Local() => {|TG5003:Guid.NewGuid()|}.GetHashCode();
                    using var socket = {|TG5005:new Socket(SocketType.Dgram, ProtocolType.Udp)|};
                    return clock() + Local() + value;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Apply_paths_of_nested_types_are_reported_once_and_other_members_of_an_apply_type_not_at_all()
    {
        // The rule registers its per-operation work per type that implements an apply interface: a nested apply type is
        // covered inside a plain type and inside another apply type, each finding once, and neither the apply type's
        // other members nor a plain type nested in it are apply paths.
        const string source = """
            using System;
            using TailGuard;

            [R2P2Service(Replicated = true)]
            public interface IStore { long Put(string key, long value); }

            public sealed class Plain
            {
                public long Now() => DateTime.UtcNow.Ticks;

                public sealed class Inner : IStore
                {
                    public long Put(string key, long value) => {|TG5001:DateTime.UtcNow|}.Ticks + value;
                }
            }

            public sealed class Outer : IStore
            {
                public long Put(string key, long value) => {|TG5003:Guid.NewGuid()|}.GetHashCode() + value;

                public long Helper() => DateTime.UtcNow.Ticks;

                public sealed class Nested : IStore
                {
                    public long Put(string key, long value) => {|TG5001:DateTime.Now|}.Ticks + value;
                }

                public sealed class NotApply
                {
                    public long Put(string key, long value) => Guid.NewGuid().GetHashCode() + value;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Hand_written_apply_and_snapshot_methods_are_apply_paths()
    {
        const string source = """
            using System;
            using System.Buffers;

            namespace TailGuard.Replication
            {
                public interface IReplicatedState
                {
                    void WriteSnapshot(IBufferWriter<byte> output);
                    void ReadSnapshot(ReadOnlySequence<byte> snapshot);
                }
            }

            public sealed class State : TailGuard.Replication.IReplicatedState
            {
                private long _taken;

                public void WriteSnapshot(IBufferWriter<byte> output) => _taken = {|TG5001:DateTime.UtcNow|}.Ticks;

                public void ReadSnapshot(ReadOnlySequence<byte> snapshot) => _taken = snapshot.Length;
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}

public sealed class ReplicatedContractTests
{
    [Fact]
    public Task A_policy_on_a_replicated_service_or_its_methods_is_TG5008_and_ReadOnly_on_a_plain_service_is_TG5009()
    {
        const string source = """
            using TailGuard;
            using TailGuard.R2P2;

            [{|TG5008:R2P2Service(Replicated = true, Policy = RoutingPolicy.LoadBalanced)|}]
            public interface IReplicated
            {
                [{|TG5008:R2P2Method(1, Policy = RoutingPolicy.Fixed)|}] void Put(string key, long value);
                [R2P2Method(2)] [ReadOnly] long Get(string key);
                [R2P2Method(4, Policy = RoutingPolicy.Unspecified)] void Delete(string key);
            }

            [R2P2Service]
            public interface IPlain
            {
                [{|TG5009:ReadOnly|}] long Get(string key);
                [R2P2Method(3, Policy = RoutingPolicy.Fixed)] void Put(string key, long value);
            }

            [R2P2Service(Replicated = false, Policy = RoutingPolicy.Fixed)]
            public interface IExplicitlyPlain { long Get(string key); }
            """;
        return WithReplication(source).RunAsync();
    }

    [Fact]
    public Task A_replicated_service_without_a_reference_to_TailGuard_Replication_is_TG5010_on_its_attribute_once()
    {
        // Two declarations of a partial contract: reported once, on the attribute. Plain services are not reported.
        const string source = """
            using TailGuard;

            [{|TG5010:R2P2Service(Replicated = true)|}]
            public partial interface ICounter
            {
                long Add(long amount);
            }

            public partial interface ICounter
            {
                [ReadOnly] long Read();
            }

            [R2P2Service]
            public interface IPlain { long Get(string key); }

            [R2P2Service(Replicated = false)]
            public interface IExplicitlyPlain { long Get(string key); }
            """;
        return ContractVerifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_replicated_service_with_a_reference_to_TailGuard_Replication_is_not_TG5010()
    {
        const string source = """
            using TailGuard;

            [R2P2Service(Replicated = true)]
            public interface ICounter
            {
                long Add(long amount);
                [ReadOnly] long Read();
            }
            """;
        return WithReplication(source).RunAsync();
    }

    [Fact]
    public Task TG5010_is_suppressed_by_pragma_and_SuppressMessage()
    {
        const string source = """
            using System.Diagnostics.CodeAnalysis;
            using TailGuard;

            #pragma warning disable TG5010
            [R2P2Service(Replicated = true)]
            public interface ICounter { long Add(long amount); }
            #pragma warning restore TG5010

            [R2P2Service(Replicated = true)]
            [SuppressMessage("TailGuard.Determinism", "TG5010")]
            public interface IStore { long Get(string key); }

            [{|TG5010:R2P2Service(Replicated = true)|}]
            public interface INotSuppressed { long Get(string key); }
            """;

        // INotSuppressed proves the rule runs in this file; the framework's own pragma pass is skipped because the
        // source's '#pragma warning restore TG5010' would undo the pragma it wraps the file in.
        var test = new ContractVerifier.Test { TestCode = source, TestBehaviors = TestBehaviors.SkipSuppressionCheck };
        return test.RunAsync();
    }

    private static ContractVerifier.Test WithReplication(string source)
    {
        var test = new ContractVerifier.Test { TestCode = source };
        test.TestState.AdditionalReferences.Add(TestReferences.TailGuardReplication);
        return test;
    }
}
