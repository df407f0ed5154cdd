using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>.Test;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// Secrets inside composite values, as docs/diagnostics/README.md describes them: object initializers, anonymous
/// objects, tuples (literals, names, deconstruction, returned by helpers), 'with', records and their positional
/// properties, arrays, spans and collection expressions of secrets, and fields of secret structs. The secret member is
/// followed; its public neighbours are not reported.
/// </summary>
public sealed class CompositeSecretTests
{
    private const string Types = """
        using System;
        using System.Collections.Generic;
        using TailGuard;
        sealed class KeyBox { public byte[] Seed; public int Id { get; set; } }
        sealed record Credentials(byte[] Seed, string Name);
        readonly record struct Grant(byte[] Token, long Expiry);
        struct KeyPair { public byte[] Private; public byte[] Public; }
        [TrustDomain] public interface IVault { byte[] Export(); int Describe(); }
        """;

    [Fact]
    public Task An_object_initializer_member_carries_the_secret_and_its_public_members_do_not()
    {
        var source = Types + """
            sealed class Vault : IVault
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                public byte[] Export()
                {
                    var box = new KeyBox { Seed = _seed, Id = 7 };
                    Console.WriteLine({|#0:box.Seed|});
                    Console.WriteLine(box.Id);
                    return {|#1:box.Seed|};
                }

                public int Describe()
                {
                    var box = new KeyBox { Seed = _seed, Id = 7 };
                    var anonymous = new { Seed = _seed, Length = 32 };
                    Console.WriteLine({|#2:anonymous.Seed|});
                    Console.WriteLine(anonymous.Length);
                    return box.Id;
                }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(0).WithArguments("'_seed' -> 'box.Seed' -> 'value'", "'Console.WriteLine'"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4001").WithLocation(1).WithArguments("'_seed' -> 'box.Seed' -> return", "the result of 'Vault.Export'"));
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(2).WithArguments("'_seed' -> 'anonymous.Seed' -> 'value'", "'Console.WriteLine'"));
        return test.RunAsync();
    }

    [Fact]
    public Task Returning_an_object_that_holds_a_secret_member_returns_the_secret()
    {
        var source = Types + """
            sealed class Vault : IVault
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                public byte[] Export() => {|#0:Wrap(_seed).Seed|};
                static KeyBox Wrap(byte[] seed) => new KeyBox { Seed = seed };
                public int Describe() => Wrap(_seed).Id;
                KeyBox Own() { var box = new KeyBox(); box.Seed = _seed; return box; }
                void Log() { Console.WriteLine({|TG4003:Own().Seed|}); Console.WriteLine(Own().Id); }
            }
            """;
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4001").WithLocation(0)
            .WithArguments("'_seed' -> 'Wrap' -> return", "the result of 'Vault.Export'"));
        return test.RunAsync();
    }

    [Fact]
    public Task Tuples_named_elements_deconstruction_and_tuples_returned_by_helpers_are_followed_element_by_element()
    {
        var source = Types + """
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                static (byte[] Key, int Length) Pack(byte[] key) => (key, key.Length);
                (byte[], int) Split() => (_seed, 4);
                void M()
                {
                    var pair = (_seed, 5);
                    Console.WriteLine({|#0:pair.Item1|});
                    Console.WriteLine(pair.Item2);
                    var named = (Key: _seed, Length: 5);
                    Console.WriteLine({|#1:named.Key|});
                    Console.WriteLine(named.Length);
                    var (key, length) = (_seed, 5);
                    Console.WriteLine({|#2:key|});
                    Console.WriteLine(length);
                    var packed = Pack(_seed);
                    Console.WriteLine({|#3:packed.Key|});
                    Console.WriteLine(packed.Length);
                    var (own, count) = Split();
                    Console.WriteLine({|#4:own|});
                    Console.WriteLine(count);
                    (byte[] a, int b) = pair;
                    Console.WriteLine({|#5:a|});
                    Console.WriteLine(b);
                }
            }
            """;
        var test = new Test { TestCode = source };
        for (var i = 0; i <= 5; i++)
        {
            test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(i));
        }

        return test.RunAsync();
    }

    [Fact]
    public Task Records_positional_properties_with_copies_and_their_deconstruction_are_followed_property_by_property()
    {
        var source = Types + """
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                void M()
                {
                    var credentials = new Credentials(_seed, "service");
                    Console.WriteLine({|#0:credentials.Seed|});
                    Console.WriteLine(credentials.Name);
                    var renamed = credentials with { Name = "other" };
                    Console.WriteLine({|#1:renamed.Seed|});
                    Console.WriteLine(renamed.Name);
                    var cleared = credentials with { Seed = Array.Empty<byte>() };
                    Console.WriteLine(cleared.Seed);
                    var (seed, name) = credentials;
                    Console.WriteLine({|#2:seed|});
                    Console.WriteLine(name);
                    var grant = new Grant(_seed, 60);
                    Console.WriteLine({|#3:grant.Token|});
                    Console.WriteLine(grant.Expiry);
                    if (credentials is { Seed: var matched, Name: var label })
                    {
                        Console.WriteLine({|#4:matched|});
                        Console.WriteLine(label);
                    }
                }
            }
            """;
        var test = new Test { TestCode = source };
        for (var i = 0; i <= 4; i++)
        {
            test.ExpectedDiagnostics.Add(DiagnosticResult.CompilerWarning("TG4003").WithLocation(i));
        }

        return test.RunAsync();
    }

    [Fact]
    public Task Arrays_spans_and_collection_expressions_of_secrets_are_secret_element_by_element()
    {
        var source = Types + """
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                [Secret] private readonly byte[] _other = new byte[32];
                void M(byte[] salt)
                {
                    var keys = new[] { _seed, _other };
                    Console.WriteLine({|TG4003:keys[1]|});
                    var ring = new byte[2][];
                    ring[0] = _seed;
                    Console.WriteLine({|TG4003:ring[1]|});
                    ReadOnlySpan<byte> view = _seed;
                    Console.WriteLine({|TG4003:view[0]|});
                    Span<byte> copy = stackalloc byte[32];
                    _seed.CopyTo(copy);
                    Console.WriteLine({|TG4003:copy[3]|});
                    byte[] salted = [.. _seed, .. salt];
                    Console.WriteLine({|TG4003:salted|});
                    List<byte[]> listed = [_seed];
                    Console.WriteLine({|TG4003:listed[0]|});
                    var initialized = new List<byte[]> { _other };
                    Console.WriteLine({|TG4003:initialized[0]|});
                    byte[] publicOnly = [.. salt, 1, 2];
                    Console.WriteLine(publicOnly);
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Reading_a_field_of_a_secret_struct_is_secret_and_a_struct_local_is_followed_field_by_field()
    {
        var source = Types + """
            class C
            {
                [Secret] private readonly KeyPair _pair;
                [Secret] private readonly byte[] _seed = new byte[32];
                void M(byte[] published)
                {
                    Console.WriteLine({|TG4003:_pair.Public|});
                    var copy = _pair;
                    Console.WriteLine({|TG4003:copy.Private|});
                    KeyPair built = default;
                    built.Private = _seed;
                    built.Public = published;
                    Console.WriteLine({|TG4003:built.Private|});
                    Console.WriteLine(built.Public);
                    Console.WriteLine({|TG4003:built|});
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task A_secret_written_into_a_member_of_an_object_the_method_did_not_create_is_a_store_TG4006()
    {
        var source = Types + """
            class C
            {
                [Secret] private readonly byte[] _seed = new byte[32];
                private readonly KeyBox _shared = new KeyBox();
                void M(KeyBox given)
                {
                    {|TG4006:given.Seed = _seed|};
                    {|TG4006:_shared.Seed = _seed|};
                    var mine = new KeyBox();
                    mine.Seed = _seed;
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
