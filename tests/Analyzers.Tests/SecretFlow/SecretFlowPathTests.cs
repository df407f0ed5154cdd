using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>.Test;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>;

namespace TailGuard.Analyzers.Tests.SecretFlow;

public sealed class SecretFlowPathTests
{
    [Fact]
    public Task A_secret_flows_through_locals_and_a_loop_into_a_log()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                void M()
                {
                    byte[] a = null, b = null;
                    for (var i = 0; i < 2; i++) { Console.WriteLine({|#0:b|}); b = a; a = _key; }
                }
            }
            """;
        return VerifyLogPathAsync(source, "'_key' -> 'a' -> 'b' -> 'value'", "'Console.WriteLine'");
    }

    [Fact]
    public Task A_secret_returned_by_a_helper_two_calls_deep_is_followed_with_the_path()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                static byte[] Outer(byte[] x) => Inner(x);
                static byte[] Inner(byte[] y) { var z = y; return z; }
                void M() { var k = Outer(_key); Console.WriteLine({|#0:k|}); }
            }
            """;
        return VerifyLogPathAsync(source, "'_key' -> 'Outer' -> 'k' -> 'value'", "'Console.WriteLine'");
    }

    [Fact]
    public Task A_sink_inside_a_helper_two_calls_deep_is_reported_at_the_call_with_the_path()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                static void Outer(byte[] x) => Inner(x);
                static void Inner(byte[] y) => Console.WriteLine(y);
                void M() { Outer({|#0:_key|}); }
            }
            """;
        return VerifyLogPathAsync(source, "'_key' -> 'x' -> 'y' -> 'value'", "'Console.WriteLine' in 'Inner' in 'Outer'");
    }

    [Fact]
    public Task A_helper_returning_its_own_secret_field_is_a_source_for_its_callers()
    {
        const string source = """
            using System;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                byte[] Key() => _key;
                void M() { Console.WriteLine({|TG4003:Key()|}); }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Secret_return_values_and_secret_parameters_of_interface_declarations_are_sources()
    {
        const string source = """
            using System;
            using TailGuard;
            interface ISource { [return: Secret] byte[] Read(); void Use([Secret] byte[] key); }
            class C : ISource
            {
                public byte[] Read() => new byte[1];
                public void Use(byte[] key) { Console.WriteLine({|TG4003:key|}); }
                void M(ISource s) { Console.WriteLine({|TG4003:s.Read()|}); }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_secret_return_value_of_an_interface_or_base_declaration_holds_for_direct_calls_of_the_implementation()
    {
        const string source = """
            using System;
            using System.IO;
            using TailGuard;
            interface IKeyStore { [return: Secret] byte[] Load(); }
            interface IStore<T> { [return: Secret] T Load(string name); }
            abstract class Vault { [return: Secret] public abstract byte[] Open(); public virtual byte[] Label() => new byte[1]; }
            sealed class FileKeyStore : IKeyStore, IStore<byte[]>
            {
                public byte[] Load() => File.ReadAllBytes("key");
                public byte[] Load(string name) => File.ReadAllBytes(name);
                public byte[] Other() => File.ReadAllBytes("other");
            }
            sealed class DiskVault : Vault
            {
                public override byte[] Open() => File.ReadAllBytes("vault");
                public override byte[] Label() => File.ReadAllBytes("label");
            }
            class C
            {
                void M(FileKeyStore store, DiskVault vault)
                {
                    Console.WriteLine({|TG4003:store.Load()|});
                    Console.WriteLine({|TG4003:store.Load("k")|});
                    Console.WriteLine({|TG4003:vault.Open()|});
                    Console.WriteLine(store.Other());
                    Console.WriteLine(vault.Label());
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_secret_property_of_an_interface_or_base_declaration_holds_for_its_implementations_and_overrides()
    {
        const string source = """
            using System;
            using System.IO;
            using TailGuard;
            interface IHasKey { [Secret] byte[] Key { get; } }
            interface IKeyHolder { [Secret] byte[] Seed { get; set; } byte[] Label { get; } }
            abstract class Vault { [Secret] public abstract byte[] Master { get; } }
            sealed class KeyFile : Vault, IHasKey, IKeyHolder
            {
                [Secret] private readonly byte[] _seed = new byte[4];
                public byte[] Key => File.ReadAllBytes("key");
                public byte[] Seed { get; set; } = new byte[4];
                byte[] IKeyHolder.Label => File.ReadAllBytes("label");
                public byte[] Label => File.ReadAllBytes("label");
                public override byte[] Master => File.ReadAllBytes("master");
                void Keep() { Seed = _seed; }
            }
            class C
            {
                void M(KeyFile file)
                {
                    Console.WriteLine({|TG4003:file.Key|});
                    Console.WriteLine({|TG4003:file.Seed|});
                    Console.WriteLine({|TG4003:file.Master|});
                    Console.WriteLine(file.Label);
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Declassifiers_end_the_flow_and_lengths_and_comparison_results_are_not_secret()
    {
        const string source = """
            using System;
            using System.Security.Cryptography;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                [Declassifier] static byte[] Hash(byte[] data) => SHA256.HashData(data);
                void M(byte[] guess)
                {
                    Console.WriteLine(Hash(_key));
                    Console.WriteLine(_key.Length);
                    Console.WriteLine(CryptographicOperations.FixedTimeEquals(guess, _key));
                    var h = Hash(_key);
                    Console.WriteLine(h);
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Code_without_secrets_and_compilations_without_TailGuard_report_nothing()
    {
        const string source = """
            using System;
            class C
            {
                private readonly byte[] _key = new byte[4];
                void M() { Console.WriteLine(_key); throw new Exception(_key.ToString()); }
            }
            """;
        var test = new Test { TestCode = source };
        test.TestState.AdditionalReferences.Clear();
        return test.RunAsync();
    }

    /// <summary>One TG4003 at markup location 0, with the flow path and the sink the message names.</summary>
    private static Task VerifyLogPathAsync(string source, string path, string sink)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0).WithArguments(path, sink));
        return test.RunAsync();
    }
}
