using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>;

namespace TailGuard.Analyzers.Tests.SecretFlow;

public sealed class SecretSinkTests
{
    private const string Contracts = """
        using System;
        using TailGuard;
        [TrustDomain] public interface IVault
        {
            bool Verify(ReadOnlySpan<byte> password);
            int Sign(ReadOnlySpan<byte> message, Span<byte> signature);
            byte[] Export();
        }
        [HostCalls] public interface IHost { void Send(ReadOnlySpan<byte> data); }
        [R2P2Service] public interface IKeyValue { int Get(ReadOnlySpan<byte> key, Span<byte> destination); }
        """;

    [Fact]
    public Task Returning_a_secret_field_from_a_TrustDomain_implementation_is_TG4001_with_the_path()
    {
        var source = Contracts + """

            sealed class Vault : IVault
            {
                [Secret] private readonly byte[] _key = new byte[32];
                public bool Verify(ReadOnlySpan<byte> password) => password.Length == _key.Length;
                public int Sign(ReadOnlySpan<byte> message, Span<byte> signature) => 0;
                public byte[] Export() { var k = _key; return {|#0:k|}; }
            }
            """;
        var test = new Infrastructure.AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.Test { TestCode = source };
        test.ExpectedDiagnostics.Add(Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("TG4001").WithLocation(0)
            .WithArguments("'_key' -> 'k' -> return", "the result of 'Vault.Export'"));
        return test.RunAsync();
    }

    [Fact]
    public Task Writing_a_secret_slice_into_the_output_buffer_is_TG4001_and_a_declassified_one_is_not()
    {
        var source = Contracts + """

            sealed class Vault : IVault
            {
                [Secret] private readonly byte[] _key = new byte[32];
                public bool Verify(ReadOnlySpan<byte> password) => false;
                public int Sign(ReadOnlySpan<byte> message, Span<byte> signature)
                {
                    if (message.Length == 0) { {|TG4001:_key.AsSpan(0, 4).CopyTo(signature)|}; return 4; }
                    ReadOnlySpan<byte> head = _key.AsSpan()[..8];
                    {|TG4001:signature[0] = head[1]|};
                    Mac(_key, message).CopyTo(signature);
                    return 8;
                }
                public byte[] Export() => Mac(_key, default);
                [Declassifier] static byte[] Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message) => new byte[8];
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Secrets_passed_to_HostCalls_and_R2P2_client_calls_are_TG4001_and_TG4002()
    {
        var source = Contracts + """

            sealed class Domain
            {
                [Secret] private readonly byte[] _key = new byte[32];
                public void Leak(IHost host, IKeyValue remote, Span<byte> buffer)
                {
                    host.Send({|TG4001:_key|});
                    remote.Get({|TG4002:_key|}, buffer);
                    host.Send(buffer);
                }
            }
            sealed class KeyValue : IKeyValue
            {
                [Secret] private readonly byte[] _value = new byte[8];
                public int Get(ReadOnlySpan<byte> key, Span<byte> destination) { {|TG4002:_value.CopyTo(destination)|}; return 8; }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Secrets_in_logs_exceptions_and_strings_are_TG4003_TG4004_TG4005()
    {
        const string source = """
            using System;
            using System.Diagnostics;
            using TailGuard;
            class C
            {
                [Secret] private readonly string _password = "p";
                [Secret] private int Pin { get; } = 1234;
                void M(byte[] data)
                {
                    Console.WriteLine({|TG4003:_password|});
                    Debug.WriteLine({|TG4003:_password|});
                    throw new InvalidOperationException({|TG4004:{|TG4005:"bad " + _password|}|});
                }
                string N() => {|TG4005:Pin.ToString()|};
                string O() => $"pin {|TG4005:{Pin}|}";
                string P([Secret] byte[] key) => {|TG4005:Convert.ToBase64String(key)|};
                string Q() => Convert.ToBase64String(new byte[2]);
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Storing_a_secret_in_a_field_or_static_that_is_not_Secret_is_TG4006()
    {
        const string source = """
            using TailGuard;
            class C
            {
                [Secret] private byte[] _key = new byte[4];
                [Secret] private byte[] _backup;
                private byte[] _plain;
                private static byte[] s_cache;
                void M([Secret] byte[] incoming)
                {
                    _backup = _key;
                    {|TG4006:_plain = incoming|};
                    {|TG4006:s_cache = _key|};
                    _plain = new byte[4];
                }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Variable_time_comparisons_of_secrets_are_TG4007()
    {
        const string source = """
            using System;
            using System.Linq;
            using TailGuard;
            class C
            {
                [Secret] private readonly byte[] _key = new byte[4];
                [Secret] private readonly string _password = "p";
                bool A(byte[] guess) => {|TG4007:_key.SequenceEqual(guess)|};
                bool B(ReadOnlySpan<byte> guess) => {|TG4007:guess.SequenceEqual(_key)|};
                bool D(string guess) => {|TG4007:guess == _password|};
                bool E(string guess) => {|TG4007:string.Equals(_password, guess)|};
                bool F(string guess) => {|TG4007:_password.Equals(guess)|};
                bool G(byte[] a, byte[] b) => a.SequenceEqual(b);
                bool H(ReadOnlySpan<byte> guess) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(guess, _key);
            }
            """;
        return Verifier.VerifyAsync(source);
    }
}
