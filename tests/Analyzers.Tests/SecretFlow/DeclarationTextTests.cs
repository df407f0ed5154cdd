using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Analyzers.SecretFlow;

namespace TailGuard.Analyzers.Tests.SecretFlow;

/// <summary>
/// The text scan SourceNames reads every member declaration with: it must find every candidate name a declaration
/// writes (its filter may only be wider than the token walk, never narrower) without cutting words out of the text.
/// </summary>
public sealed class DeclarationTextTests
{
    [Fact]
    public void Every_candidate_written_in_a_body_is_found_and_no_other_word()
    {
        var (declaration, text) = Member<MethodDeclarationSyntax>("""
            class C
            {
                byte[] Export() { var keys = _key; return Derive(_keys, Seed, _ke); }
            }
            """);

        Assert.Equal(["Derive", "_key"], Collect(declaration, text, "_key", "Derive", "Other", "Seed2"));
    }

    [Fact]
    public void A_method_does_not_mention_its_own_name_but_a_recursive_call_does()
    {
        var (plain, plainText) = Member<MethodDeclarationSyntax>("class C { int Export() => 1; }");
        var (recursive, recursiveText) = Member<MethodDeclarationSyntax>("class C { int Export(int n) => n == 0 ? 0 : Export(n - 1); }");

        Assert.Empty(Collect(plain, plainText, "Export"));
        Assert.Equal(["Export"], Collect(recursive, recursiveText, "Export"));
    }

    [Fact]
    public void A_field_does_not_mention_its_own_variables_but_an_initializer_that_reads_one_does()
    {
        var (plain, plainText) = Member<FieldDeclarationSyntax>("class C { byte[] _key = new byte[4], _seed = new byte[4]; }");
        var (reading, readingText) = Member<FieldDeclarationSyntax>("class C { static byte[] _key = new byte[4], _seed = _key; }");

        Assert.Empty(Collect(plain, plainText, "_key", "_seed"));
        Assert.Equal(["_key"], Collect(reading, readingText, "_key", "_seed"));
    }

    [Fact]
    public void A_property_does_not_mention_its_own_name()
    {
        var (declaration, text) = Member<PropertyDeclarationSyntax>("class C { byte[] Seed => _key; }");

        Assert.Equal(["_key"], Collect(declaration, text, "Seed", "_key"));
    }

    [Fact]
    public void A_name_spelled_with_a_unicode_escape_gives_the_declaration_up_to_the_token_walk()
    {
        var (declaration, text) = Member<MethodDeclarationSyntax>("class C { byte[] Export() => _k\\u0065y; }");

        Assert.Null(DeclarationText.Collect(declaration, text, new DeclarationText.Candidates(Names("_key")), new HashSet<string>()));
    }

    [Fact]
    public void Many_candidates_of_one_length_are_each_found_and_only_they()
    {
        // 600 names of four characters fill the table's probe chains; every one must be found where it is written, and
        // none of 600 others of the same length.
        var names = Enumerable.Range(0, 600).Select(n => "n" + n.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var others = Enumerable.Range(0, 600).Select(n => "m" + n.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var body = string.Join(" + ", names.Concat(others));
        var (declaration, text) = Member<MethodDeclarationSyntax>("class C { int Sum() => " + body + "; }");

        var found = Collect(declaration, text, names);

        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), found);
    }

    private static (SyntaxNode Declaration, char[] Text) Member<T>(string source)
        where T : MemberDeclarationSyntax
    {
        var tree = CSharpSyntaxTree.ParseText(source);
        return (tree.GetRoot().DescendantNodes().OfType<T>().Single(), tree.GetText().ToString().ToCharArray());
    }

    private static string[] Collect(SyntaxNode declaration, char[] text, params string[] candidates)
    {
        var mentions = new HashSet<string>(StringComparer.Ordinal);
        Assert.NotNull(DeclarationText.Collect(declaration, text, new DeclarationText.Candidates(Names(candidates)), mentions));
        return mentions.OrderBy(n => n, StringComparer.Ordinal).ToArray();
    }

    private static HashSet<string> Names(params string[] names) => new(names, StringComparer.Ordinal);
}
