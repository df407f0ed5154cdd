using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace TailGuard.Analyzers.Tests.Infrastructure;

/// <summary>
/// Code-fix tests: the testing library applies the fix one diagnostic at a time and, separately, through Fix All in
/// document, project and solution scope, and compares each result with <c>FixedCode</c>.
/// </summary>
internal sealed class CodeFixTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public CodeFixTest()
    {
        ReferenceAssemblies = TestReferences.Net10;
        TestState.AdditionalReferences.Add(TestReferences.TailGuardRuntime);
        FixedState.AdditionalReferences.Add(TestReferences.TailGuardRuntime);
    }

    public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Preview;

    protected override Microsoft.CodeAnalysis.ParseOptions CreateParseOptions() =>
        ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion);
}
