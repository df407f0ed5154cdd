using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Generators.Common;

namespace TailGuard.Generators.Tests.Common;

/// <summary>The pieces every TailGuard generator shares: value equality, hint names, the source writer, locations.</summary>
public class CommonPiecesTests
{
    [Fact]
    public void EquatableArray_compares_by_elements_and_treats_default_as_empty()
    {
        var a = new EquatableArray<string>(new[] { "x", "y" });
        var b = new EquatableArray<string>(new[] { "x", "y" });
        var c = new EquatableArray<string>(new[] { "y", "x" });

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
        Assert.Equal(default(EquatableArray<string>), new EquatableArray<string>(System.Array.Empty<string>()));
        Assert.Empty(default(EquatableArray<string>));
    }

    [Theory]
    [InlineData("Ns.IService", "Ns.IService.R2P2.g.cs")]
    [InlineData("Outer`1+IService", "Outer_00601+IService.R2P2.g.cs")]
    [InlineData("My_Service", "My__Service.R2P2.g.cs")]
    [InlineData("Ünï", "_00DCn_00EF.R2P2.g.cs")]
    public void HintNames_escape_everything_but_safe_characters(string metadataName, string expected)
        => Assert.Equal(expected, HintNames.For(metadataName, "R2P2"));

    [Fact]
    public void HintNames_never_map_two_names_to_one_file()
    {
        string[] names = { "A`1", "A_1", "A_00601", "A__1", "A.B", "A+B", "A_x", "A__x" };

        string[] hints = names.Select(n => HintNames.For(n, "R2P2")).ToArray();

        Assert.Equal(names.Length, hints.Distinct(System.StringComparer.Ordinal).Count());
    }

    [Fact]
    public void HintNames_of_very_long_names_stay_short_enough_for_a_file_and_distinct()
    {
        string a = "Ns." + new string('A', 400) + "+IService";
        string b = "Ns." + new string('A', 400) + "+IServicf";

        string hintA = HintNames.For(a, "R2P2");
        string hintB = HintNames.For(b, "R2P2");

        Assert.Equal(HintNames.MaxLength, hintA.Length);
        Assert.StartsWith("Ns.AAAA", hintA, System.StringComparison.Ordinal);
        Assert.EndsWith(".R2P2.g.cs", hintA, System.StringComparison.Ordinal);
        Assert.NotEqual(hintA, hintB);
        Assert.Equal("Ns.IShort.R2P2.g.cs", HintNames.For("Ns.IShort", "R2P2"));
    }

    [Fact]
    public void SourceWriter_indents_blocks_with_four_spaces_and_uses_newline_only()
    {
        string text = new SourceWriter().Open("class C").Line("int X;").Line().Close().ToString();

        Assert.Equal("class C\n{\n    int X;\n\n}\n", text);
    }

    [Fact]
    public void LocationInfo_round_trips_path_and_spans()
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText("class C { }\nclass D { }", path: "File.cs");
        Location original = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>().Last().Identifier.GetLocation();

        LocationInfo info = LocationInfo.From(original)!;
        Location back = info.ToLocation();

        Assert.Equal("File.cs", back.GetLineSpan().Path);
        Assert.Equal(original.SourceSpan, back.SourceSpan);
        Assert.Equal(new LinePositionSpan(new LinePosition(1, 6), new LinePosition(1, 7)), back.GetLineSpan().Span);
        Assert.Equal(info, LocationInfo.From(original));
    }
}
