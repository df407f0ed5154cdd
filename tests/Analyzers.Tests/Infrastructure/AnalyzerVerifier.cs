using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace TailGuard.Analyzers.Tests.Infrastructure;

/// <summary>Markup tests for one analyzer: <c>{|TG3001:new object()|}</c> marks where each diagnostic must be.</summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>Fails unless the analyzer reports exactly the diagnostics marked in <paramref name="source"/>.</summary>
    internal static Task VerifyAsync(string source, LanguageVersion languageVersion = LanguageVersion.Preview)
    {
        var test = new Test { TestCode = source, LanguageVersion = languageVersion };
        return test.RunAsync();
    }

    internal sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.Net10;
            TestState.AdditionalReferences.Add(TestReferences.TailGuardRuntime);
        }

        public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Preview;

        protected override Microsoft.CodeAnalysis.ParseOptions CreateParseOptions() =>
            ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion);
    }
}
