using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// A [Secret] parameter of a primary constructor is a source wherever the type reads it: in its methods, accessors,
/// lambdas, local functions and initializers (the compiler keeps it in a hidden field, so it is read like a [Secret]
/// field), and, for a record, through the positional property the parameter declares. Written from
/// docs/diagnostics/README.md ("Sources: ... [Secret] parameters") and the TG4001/TG4003/TG4006 pages.
/// </summary>
public sealed class PrimaryConstructorSecretTests
{
    private const string Contracts = """
        using System;
        using TailGuard;
        [TrustDomain] public interface IVault { byte[] Export(); int Read(Span<byte> destination); }
        [HostCalls] public interface IHost { void Send(ReadOnlySpan<byte> data); }

        """;

    [Fact]
    public Task A_class_primary_constructor_secret_returned_from_a_TrustDomain_method_is_TG4001()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Vault([Secret] byte[] key) : IVault
            {
                public byte[] Export() { var copy = key; return {|TG4001:copy|}; }
                public int Read(Span<byte> destination) { {|TG4001:key.AsSpan(0, 4).CopyTo(destination)|}; return 4; }
            }
            """);

    [Fact]
    public Task A_primary_constructor_secret_passed_to_the_base_constructor_as_text_is_reported_once()
        => Verifier.VerifyAsync(Contracts + """
            class Named { public Named(string name) { } }
            sealed class Account([Secret] byte[] pin) : Named({|TG4005:Convert.ToBase64String(pin)|})
            {
                public int Length => 4;
            }
            """);

    [Fact]
    public Task A_class_primary_constructor_secret_logged_or_sent_to_the_host_is_reported_at_the_sink()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Rotator([Secret] byte[] seed, IHost host)
            {
                public void Log() => Console.WriteLine({|TG4003:seed|});
                public void Push() => host.Send({|TG4001:seed|});
            }
            """);

    [Fact]
    public Task A_class_primary_constructor_secret_captured_by_a_lambda_or_a_local_function_is_reported()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Rotator([Secret] byte[] seed)
            {
                public Action Later() => () => Console.WriteLine({|TG4003:seed|});
                public void Now()
                {
                    Write();
                    void Write() => Console.WriteLine({|TG4003:seed|});
                }
            }
            """);

    [Fact]
    public Task A_class_primary_constructor_secret_stored_by_a_field_initializer_is_TG4006()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Rotator([Secret] byte[] seed)
            {
                private readonly byte[] _copy {|TG4006:= seed|};
                [Secret] private readonly byte[] _kept = seed;
                public int Size => _copy.Length + _kept.Length;
            }
            """);

    [Fact]
    public Task A_class_primary_constructor_secret_stored_by_a_property_initializer_is_TG4006()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Rotator([Secret] byte[] seed)
            {
                public byte[] Copy { get; } {|TG4006:= seed|};
                [Secret] public byte[] Kept { get; } = seed;
            }
            """);

    [Fact]
    public Task A_class_primary_constructor_secret_returned_by_a_getter_makes_every_read_of_the_getter_a_source()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Keys([Secret] byte[] seed)
            {
                public byte[] Material => seed;
                public byte[] Derive() => Material;
            }
            sealed class Caller
            {
                public void Log(Keys keys)
                {
                    Console.WriteLine({|TG4003:keys.Material|});
                    Console.WriteLine({|TG4003:keys.Derive()|});
                }
            }
            """);

    [Fact]
    public Task A_struct_primary_constructor_secret_is_a_source_in_its_methods()
        => Verifier.VerifyAsync(Contracts + """
            readonly struct Lease([Secret] byte[] token, long expiry)
            {
                public void Log() => Console.WriteLine({|TG4003:token|});
                public void LogExpiry() => Console.WriteLine(expiry);
            }
            """);

    [Fact]
    public Task A_record_secret_positional_parameter_is_a_source_through_its_property_inside_and_outside_the_record()
        => Verifier.VerifyAsync(Contracts + """
            sealed record Credentials([Secret] byte[] Seed, string Name)
            {
                public void Log() => Console.WriteLine({|TG4003:Seed|});
                public void LogName() => Console.WriteLine(Name);
            }
            readonly record struct Grant([Secret] byte[] Token, long Expiry);
            sealed class Caller
            {
                public void Log(Credentials credentials, Grant grant)
                {
                    Console.WriteLine({|TG4003:credentials.Seed|});
                    Console.WriteLine({|TG4003:grant.Token|});
                    Console.WriteLine(credentials.Name);
                    Console.WriteLine(grant.Expiry);
                }
            }
            """);

    [Fact]
    public Task Public_primary_constructor_parameters_lengths_and_declassified_results_are_not_reported()
        => Verifier.VerifyAsync(Contracts + """
            sealed class Rotator([Secret] byte[] seed, byte[] salt)
            {
                public void Log()
                {
                    Console.WriteLine(salt);
                    Console.WriteLine(seed.Length);
                    Console.WriteLine(Mac(seed));
                }
                [Declassifier] private static byte[] Mac(byte[] key) => new byte[8];
            }
            sealed class Plain(byte[] seed)
            {
                public void Log() => Console.WriteLine(seed);
            }
            sealed record Open(byte[] Seed)
            {
                public void Log() => Console.WriteLine(Seed);
            }
            """);
}
