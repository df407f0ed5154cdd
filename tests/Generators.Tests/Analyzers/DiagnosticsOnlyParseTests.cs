using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.Tests.Infrastructure;
using TailGuard.Generators.TrustDomain;

namespace TailGuard.Generators.Tests.Analyzers;

/// <summary>
/// The contract analyzers ask the shared parsers for diagnostics only (no generator model is built): they must get
/// exactly the diagnostics the generators' full parse finds, for every rule's trigger, for a valid contract (none) and
/// for contracts whose generated names a sibling contract of the same scope takes.
/// </summary>
public sealed class DiagnosticsOnlyParseTests
{
    private const string Usings = "using System;\nusing TailGuard;\nusing TailGuard.R2P2;\n";

    public static TheoryData<string> Sources()
    {
        var data = new TheoryData<string>();
        foreach (string trigger in ContractRuleSuppressionTests.Triggers.Values)
        {
            data.Add(Usings + trigger);
        }

        data.Add(Usings + "[R2P2Service] public interface IService { int Call(int value); }\n[TrustDomain] public interface IDomain { void Call([Bounded(8)] ReadOnlySpan<byte> data); }");
        data.Add(Usings + "[R2P2Service] public interface Service { void Other(); }\n[R2P2Service] public interface IService { void Call(); }");
        data.Add(Usings + "[TrustDomain] public interface Domain { void Other(); }\n[HostCalls] public interface IDomain { void Call(); }");
        return data;
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void The_diagnostics_only_parse_reports_what_the_full_parse_reports(string source)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(source);
        int contracts = 0;
        foreach (INamedTypeSymbol type in Interfaces(compilation))
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                var declaration = (InterfaceDeclarationSyntax)type.DeclaringSyntaxReferences[0].GetSyntax();
                EquatableArray<DiagnosticInfo> full, only;
                switch (attribute.AttributeClass?.ToDisplayString())
                {
                    case ServiceParser.AttributeMetadataName:
                        full = ServiceParser.Parse(type, declaration, attribute, CancellationToken.None).Diagnostics;
                        only = ServiceParser.Diagnostics(type, declaration, attribute, CancellationToken.None);
                        break;
                    case BoundaryParser.TrustDomainAttributeMetadataName or BoundaryParser.HostCallsAttributeMetadataName:
                        bool isHostCalls = attribute.AttributeClass!.Name == "HostCallsAttribute";
                        full = BoundaryParser.Parse(type, declaration, isHostCalls, CancellationToken.None).Diagnostics;
                        only = BoundaryParser.Diagnostics(type, declaration, isHostCalls, CancellationToken.None);
                        break;
                    default:
                        continue;
                }

                contracts++;
                Assert.Equal(full.Select(d => d.Descriptor.Id + " " + d.Location), only.Select(d => d.Descriptor.Id + " " + d.Location));
                Assert.Equal(full, only);
            }
        }

        Assert.True(contracts > 0, "the source declares no contract");
    }

    private static IEnumerable<INamedTypeSymbol> Interfaces(Compilation compilation)
    {
        var pending = new Stack<INamespaceOrTypeSymbol>();
        pending.Push(compilation.Assembly.GlobalNamespace);
        while (pending.Count > 0)
        {
            foreach (ISymbol member in pending.Pop().GetMembers())
            {
                if (member is INamespaceOrTypeSymbol container)
                {
                    pending.Push(container);
                }

                if (member is INamedTypeSymbol { TypeKind: TypeKind.Interface } type)
                {
                    yield return type;
                }
            }
        }
    }
}
