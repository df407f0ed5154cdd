using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using TailGuard.Analyzers.Tests.Infrastructure;
using Test = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.SecretFlow.SecretFlowAnalyzer>.Test;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// The secret-flow analyzer skips, on text alone, every body that mentions no name a [Secret] source can be reached
/// through (SourceNames). These are the sources whose name a body does not spell out, or spells out only elsewhere: each
/// must still be reported, so the cheap first look never narrows what the rules follow.
/// </summary>
public sealed class SourceNamesTests
{

    [Fact]
    public Task A_parameter_secret_by_its_interface_declaration_under_another_name_is_a_source()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            interface IVault { void Store([Secret] byte[] key); }
            sealed class Vault : IVault
            {
                public void Store(byte[] data) => System.Console.WriteLine({|TG4003:data|});
            }
            """);

    [Fact]
    public Task A_parameter_secret_by_its_generic_interface_declaration_is_a_source()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            interface IVault<T> { void Store([Secret] T key); }
            sealed class Vault : IVault<byte[]>
            {
                public void Store(byte[] data) => System.Console.WriteLine({|TG4003:data|});
            }
            """);

    [Fact]
    public Task A_parameter_secret_by_the_declaration_it_overrides_under_another_name_is_a_source()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            abstract class Store { public abstract void Keep([Secret] byte[] key); }
            sealed class LoggingStore : Store
            {
                public override void Keep(byte[] data) => System.Console.WriteLine({|TG4003:data|});
            }
            """);

    [Fact]
    public Task A_secret_parameter_of_a_local_function_is_a_source_in_a_body_that_names_no_secret()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            sealed class Audit
            {
                public void Run(byte[] input)
                {
                    Write(input);
                    static void Write([Secret] byte[] material) => System.Console.WriteLine({|TG4003:material|});
                }
            }
            """);

    [Fact]
    public Task A_conversion_operator_that_returns_its_own_secret_is_followed_though_no_name_is_written_at_the_conversion()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            sealed class Sealed
            {
                [Secret] private readonly byte[] _key = new byte[4];
                public static implicit operator byte[](Sealed value) => value._key;
            }
            sealed class Caller
            {
                public void Log(Sealed box)
                {
                    byte[] raw = box;
                    System.Console.WriteLine({|TG4003:raw|});
                }
            }
            """);

    [Fact]
    public Task A_secret_reached_through_helpers_whose_names_other_members_share_is_reported_and_the_namesakes_are_not()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            sealed class Keys
            {
                [Secret] private readonly byte[] _key = new byte[4];
                public byte[] Material() => Inner();
                private byte[] Inner() => _key;
            }
            sealed class Plain
            {
                public byte[] Material() => new byte[4];
                public void Log() => System.Console.WriteLine(Material());
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Material()|});
            }
            """);

    [Fact]
    public Task A_method_whose_return_value_is_secret_in_a_referenced_assembly_is_a_source()
        => WithLibraryAsync(
            """
            sealed class Caller
            {
                public void Log() => System.Console.WriteLine({|TG4003:Library.Vault.Unwrap()|});
            }
            """,
            "Vault.cs",
            """
            namespace Library;
            public static class Vault { [return: TailGuard.Secret] public static string Unwrap() => "k"; }
            """);

    [Fact]
    public Task An_internal_secret_of_a_referenced_assembly_that_gives_access_to_its_internals_is_a_source()
        => WithLibraryAsync(
            """
            sealed class Caller
            {
                public void Log(Library.Credentials credentials) => System.Console.WriteLine({|TG4003:credentials.Token|});
            }
            """,
            "Credentials.cs",
            """
            [assembly: System.Runtime.CompilerServices.InternalsVisibleTo("TestProject")]
            namespace Library;
            internal sealed class Credentials { [TailGuard.Secret] internal string Token { get; } = "t"; }
            """);

    [Fact]
    public Task A_protected_secret_of_a_base_class_in_a_referenced_assembly_is_a_source_in_a_derived_class()
        => WithLibraryAsync(
            """
            sealed class Derived : Library.Holder
            {
                public void Log() => System.Console.WriteLine({|TG4003:Seed|});
            }
            """,
            "Holder.cs",
            """
            namespace Library;
            public abstract class Holder { [TailGuard.Secret] protected readonly string Seed = "s"; }
            """);

    [Fact]
    public Task A_method_of_a_generated_file_that_returns_a_secret_of_its_own_is_followed_from_code_that_calls_it()
        => WithGeneratedFileAsync(
            """
            using TailGuard;
            partial class Keys
            {
                [Secret] private readonly byte[] _key = new byte[4];
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Export()|});
            }
            """,
            // Read as text, not tokens (DeclarationText): the name Export must still be reached through the mention of _key.
            """
            // <auto-generated/>
            partial class Keys
            {
                public byte[] Export() => Copy();
                private byte[] Copy() => _key;
            }
            """);

    [Fact]
    public Task A_generated_method_that_spells_a_secret_with_a_unicode_escape_is_followed()
        => WithGeneratedFileAsync(
            """
            using TailGuard;
            partial class Keys
            {
                [Secret] private readonly byte[] _key = new byte[4];
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Export()|});
            }
            """,
            // The text holds "_k\u0065y", the name is "_key": the text scan gives this declaration up to the token walk.
            """
            partial class Keys
            {
                public byte[] Export() => _k\u0065y;
            }
            """);

    [Fact]
    public Task A_generated_method_with_a_secret_parameter_on_a_local_function_is_followed()
        => WithGeneratedFileAsync(
            """
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Derive()|});
            }
            """,
            // No source name is written in Derive: only the attribute inside it (on the local function's parameter) makes it reached.
            """
            using TailGuard;
            sealed class Keys
            {
                public byte[] Derive()
                {
                    return Pass(new byte[4]);
                    static byte[] Pass([Secret] byte[] material) => material;
                }
            }
            """);

    [Fact]
    public Task A_method_that_spells_a_secret_with_a_unicode_escape_is_followed_from_code_that_calls_it()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            sealed class Keys
            {
                [Secret] private readonly byte[] _key = new byte[4];
                // The text holds "_k\u0065y", the name is "_key": the text pass gives this declaration up to the token walk.
                public byte[] Export() => _k\u0065y;
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Export()|});
            }
            """);

    [Fact]
    public Task A_body_whose_only_attribute_inside_follows_a_collection_expression_and_a_string_is_still_followed()
        => AnalyzerVerifier<Analyzers.SecretFlow.SecretFlowAnalyzer>.VerifyAsync("""
            using TailGuard;
            sealed class Keys
            {
                public byte[] Derive()
                {
                    int[] sizes = [4, 8];
                    var label = "[not an attribute]";
                    return Pass(new byte[sizes[0] + label.Length]);
                    static byte[] Pass([Secret] byte[] material) => material;
                }
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine({|TG4003:keys.Derive()|});
            }
            """);

    [Fact]
    public Task A_secret_property_declared_in_a_referenced_assembly_is_a_source()
        => WithLibraryAsync(
            """
            sealed class Caller
            {
                public void Log(Library.Credentials credentials) => System.Console.WriteLine({|TG4003:credentials.Token|});
            }
            """,
            "Credentials.cs",
            """
            namespace Library;
            public sealed class Credentials { [TailGuard.Secret] public string Token { get; } = "t"; }
            """);

    /// <summary>Runs the analyzer on <paramref name="testCode"/>, which references a project "Library" built from <paramref name="librarySource"/> against the TailGuard runtime.</summary>
    private static Task WithLibraryAsync(string testCode, string fileName, string librarySource)
    {
        var test = new Test { TestCode = testCode };
        test.TestState.AdditionalProjects["Library"].Sources.Add((fileName, librarySource));
        test.TestState.AdditionalProjects["Library"].AdditionalReferences.Add(TestReferences.TailGuardRuntime);
        test.TestState.AdditionalProjectReferences.Add("Library");
        return test.RunAsync();
    }

    // TailGuard's own stubs (a proxy, entry, client or dispatcher) are left out of the first look: their contract, in the
    // user's code, names every source they have. The compiler files them under the generator's type name.
    private const string TrustDomainStubPath = "TailGuard.Generators/TailGuard.Generators.TrustDomain.TrustDomainGenerator/IVault.TrustDomain.g.cs";

    [Fact]
    public Task A_secret_parameter_of_a_stub_of_a_TailGuard_generator_is_still_a_source_through_its_contract()
        => WithGeneratedFileAsync(
            """
            using TailGuard;
            interface IVault { byte[] Seal([Secret] byte[] key); }
            sealed class Caller
            {
                public void Log(VaultProxy vault, byte[] key) => System.Console.WriteLine({|TG4003:vault.Seal(key)|});
            }
            """,
            """
            // <auto-generated/>
            sealed class VaultProxy : IVault
            {
                public byte[] Seal(byte[] key) => key;
            }
            """,
            TrustDomainStubPath);

    [Fact]
    public Task A_method_of_a_TailGuard_stub_that_reads_a_secret_its_contract_does_not_name_is_not_followed()
        => WithGeneratedFileAsync(
            """
            using TailGuard;
            partial class Keys
            {
                [Secret] private readonly byte[] _key = new byte[4];
            }
            sealed class Caller
            {
                public void Log(Keys keys) => System.Console.WriteLine(keys.Export());
            }
            """,
            // The documented limit (docs/diagnostics/README.md, "Generated code"): TailGuard's generators write no such
            // method; another generator's file is followed (A_method_of_a_generated_file_that_returns_a_secret_...).
            """
            // <auto-generated/>
            partial class Keys
            {
                public byte[] Export() => _key;
            }
            """,
            TrustDomainStubPath);

    /// <summary>
    /// Runs the analyzer on <paramref name="testCode"/> beside a generated file at <paramref name="path"/> (by default
    /// Keys.g.cs, a file no TailGuard generator wrote) holding <paramref name="generatedSource"/>.
    /// </summary>
    private static Task WithGeneratedFileAsync(string testCode, string generatedSource, string path = "Keys.g.cs")
    {
        var test = new Test { TestCode = testCode };
        test.TestState.Sources.Add((path, generatedSource));
        return test.RunAsync();
    }
}
