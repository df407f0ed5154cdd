using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The look before the first look, once per compilation and on text only: the names through which a body can reach a
/// [Secret] source. They are the names of the sources (fields, properties, parameters and methods whose return value is
/// [Secret], in source and in the assemblies that reference the attribute's), and, to a fixed point, the names of the
/// methods and properties in source whose declaration mentions one of those names. A body that mentions none of them,
/// declares no attribute inside itself and belongs to a method without a [Secret] parameter can neither read a source
/// nor run a method that returns one of its own, so <see cref="SourceFacts"/> would find nothing there: its operation
/// tree is never walked and its callees are never bound.
/// </summary>
/// <remarks>
/// Conservative by construction: names are compared as text, so a name shared with an unrelated member only costs the
/// full look. Methods run without their name in the code (operators, conversions, indexers, and the foreach, collection
/// initializer, interpolated-string and query-clause patterns) cannot be followed by name: when one of them is among the
/// names reached, the filter is off and every body gets the full look.
/// </remarks>
internal sealed class SourceNames
{
    // Methods the operations of a body run (see InvokedMethods) without their name being written there.
    private static readonly HashSet<string> PatternNames = new(StringComparer.Ordinal)
    {
        "GetEnumerator", "MoveNext", "Current", "Add", "AppendLiteral", "AppendFormatted", "Select", "SelectMany", "Where",
        "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Join", "GroupJoin", "Cast",
    };

    // null: the filter is off.
    private readonly HashSet<string>? _reached;

    private SourceNames(HashSet<string>? reached) => _reached = reached;

    /// <summary>
    /// False only when <paramref name="body"/>, run by <paramref name="owner"/>, can read no [Secret] source and run no
    /// method of the compilation that returns one of its own.
    /// </summary>
    internal bool MayReachSource(ISymbol owner, SyntaxNode body, SecretFlowEngine engine)
    {
        if (_reached is null)
        {
            return true;
        }

        if (owner is IMethodSymbol method)
        {
            foreach (var parameter in method.Parameters)
            {
                if (engine.IsSecretParameter(parameter))
                {
                    return true;
                }
            }
        }

        return Mentions(body, _reached, collect: false);
    }

    /// <summary>
    /// False only when <paramref name="method"/> cannot return a secret of its own (what <c>MayReturnOwnSecret</c>
    /// answers), so its body need not be bound to ask.
    /// </summary>
    internal bool MayReturnSource(IMethodSymbol method)
    {
        if (_reached is null)
        {
            return true;
        }

        var name = method.MethodKind switch
        {
            MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation or MethodKind.ReducedExtension => method.Name,
            MethodKind.PropertyGet or MethodKind.PropertySet when method.AssociatedSymbol is IPropertySymbol { IsIndexer: false } property => property.Name,
            // Operators, conversions, indexers: none is reached, or the filter would be off.
            MethodKind.UserDefinedOperator or MethodKind.Conversion or MethodKind.PropertyGet or MethodKind.PropertySet => null,
            _ => method.Name,
        };
        return name is not null && _reached.Contains(SimpleName(name));
    }

    internal static SourceNames Build(SecretFlowEngine engine)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal);
        if (!AddSources(engine, reached))
        {
            return new SourceNames(null);
        }

        // The declarations of the compilation that can run and return something, with the names they mention.
        var declarations = new List<(string? Name, bool Seeded, HashSet<string> Mentions)>();
        foreach (var tree in engine.Compilation.SyntaxTrees)
        {
            foreach (var node in tree.GetRoot().DescendantNodes(static node => node is not (BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax)))
            {
                string? name;
                switch (node)
                {
                    case MethodDeclarationSyntax declaration:
                        name = declaration.Identifier.ValueText;
                        break;
                    case PropertyDeclarationSyntax declaration:
                        name = declaration.Identifier.ValueText;
                        break;
                    case IndexerDeclarationSyntax or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax:
                        name = null;
                        break;
                    default:
                        continue;
                }

                var mentions = new HashSet<string>(StringComparer.Ordinal);
                var seeded = Mentions(node, mentions, collect: true);
                declarations.Add((name, seeded, mentions));
            }
        }

        // To a fixed point: a declaration that mentions a reached name (or declares a [Secret]-capable attribute inside
        // itself) may return a secret of its own, so its name is reached too.
        var done = new bool[declarations.Count];
        for (var changed = true; changed;)
        {
            changed = false;
            for (var i = 0; i < declarations.Count; i++)
            {
                var (name, seeded, mentions) = declarations[i];
                if (done[i] || (!seeded && !reached.Overlaps(mentions)))
                {
                    continue;
                }

                done[i] = true;
                if (name is null || PatternNames.Contains(name))
                {
                    return new SourceNames(null);
                }

                changed |= reached.Add(name);
            }
        }

        return new SourceNames(reached);
    }

    /// <summary>
    /// The sources' names, and the names of source methods with a [Secret] parameter (they read one). False when a source
    /// cannot be followed by name (a [Secret] indexer, operator or delegate).
    /// </summary>
    private static bool AddSources(SecretFlowEngine engine, HashSet<string> reached)
    {
        var compilation = engine.Compilation;
        if (!AddSources(compilation.Assembly.GlobalNamespace, engine, reached, inSource: true))
        {
            return false;
        }

        // Only an assembly that references the attribute's own can declare a [Secret] member.
        var attributeAssembly = engine.Symbols.Secret?.ContainingAssembly;
        if (attributeAssembly is null || SymbolEqualityComparer.Default.Equals(attributeAssembly, compilation.Assembly))
        {
            return true;
        }

        foreach (var reference in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (SymbolEqualityComparer.Default.Equals(reference, attributeAssembly) || References(reference, attributeAssembly.Identity))
            {
                if (!AddSources(reference.GlobalNamespace, engine, reached, inSource: false))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool References(IAssemblySymbol assembly, AssemblyIdentity identity)
    {
        foreach (var module in assembly.Modules)
        {
            foreach (var referenced in module.ReferencedAssemblies)
            {
                if (string.Equals(referenced.Name, identity.Name, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool AddSources(INamespaceOrTypeSymbol container, SecretFlowEngine engine, HashSet<string> reached, bool inSource)
    {
        foreach (var member in container.GetMembers())
        {
            switch (member)
            {
                case INamedTypeSymbol { DelegateInvokeMethod: { } invoke } when engine.Catalog.ReturnsSecret(invoke):
                    return false;
                case INamespaceOrTypeSymbol nested:
                    if (!AddSources(nested, engine, reached, inSource))
                    {
                        return false;
                    }

                    break;
                case IFieldSymbol field when engine.Catalog.IsSecret(field):
                    reached.Add(field.Name);
                    break;
                case IPropertySymbol property when engine.Catalog.IsSecret(property):
                    if (property.IsIndexer)
                    {
                        return false;
                    }

                    reached.Add(SimpleName(property.Name));
                    break;
                case IMethodSymbol method:
                    if (!AddSources(method, engine, reached, inSource))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private static bool AddSources(IMethodSymbol method, SecretFlowEngine engine, HashSet<string> reached, bool inSource)
    {
        var returnsSecret = engine.Catalog.ReturnsSecret(method);
        var readsParameter = false;
        if (inSource)
        {
            foreach (var parameter in method.Parameters)
            {
                if (engine.IsSecretParameter(parameter))
                {
                    // Captured by other members when it is a primary constructor's.
                    reached.Add(parameter.Name);
                    readsParameter = true;
                }
            }
        }

        if (!returnsSecret && !readsParameter)
        {
            return true;
        }

        switch (method.MethodKind)
        {
            case MethodKind.Constructor or MethodKind.StaticConstructor or MethodKind.Destructor or MethodKind.EventAdd or MethodKind.EventRemove:
                return true;
            case MethodKind.PropertyGet or MethodKind.PropertySet when method.AssociatedSymbol is IPropertySymbol { IsIndexer: false } property:
                reached.Add(SimpleName(property.Name));
                return true;
            case MethodKind.Ordinary or MethodKind.ExplicitInterfaceImplementation or MethodKind.ReducedExtension:
                reached.Add(SimpleName(method.Name));
                return !PatternNames.Contains(SimpleName(method.Name));
            default:
                // Operators, conversions, indexers, delegates' Invoke: run without their name written.
                return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="root"/> mentions one of <paramref name="names"/> or declares an attribute inside itself
    /// (on a lambda or a local function, or their parameters: a [Secret] one there is a source no name gives away).
    /// With <paramref name="collect"/>, adds every identifier it mentions to <paramref name="names"/> instead and
    /// answers only the attribute question.
    /// </summary>
    private static bool Mentions(SyntaxNode root, HashSet<string> names, bool collect)
    {
        var declaresAttribute = false;
        foreach (var token in root.DescendantTokens())
        {
            switch (token.RawKind)
            {
                case (int)SyntaxKind.IdentifierToken:
                    if (collect)
                    {
                        names.Add(token.ValueText);
                    }
                    else if (names.Contains(token.ValueText))
                    {
                        return true;
                    }

                    break;
                case (int)SyntaxKind.OpenBracketToken when token.Parent is AttributeListSyntax list && !IsOwnAttribute(list, root):
                    if (!collect)
                    {
                        return true;
                    }

                    declaresAttribute = true;
                    break;
            }
        }

        return declaresAttribute;
    }

    // An attribute of the declaration itself, of its accessors or of its own parameters: not a source inside the body.
    private static bool IsOwnAttribute(AttributeListSyntax list, SyntaxNode root) => list.Parent switch
    {
        null => false,
        var parent when parent == root => true,
        AccessorDeclarationSyntax accessor => accessor.Parent?.Parent == root,
        ParameterSyntax parameter => parameter.Parent?.Parent == root,
        _ => false,
    };

    // The name an explicit interface implementation is called by: what follows the interface's name.
    private static string SimpleName(string name)
    {
        var dot = name.LastIndexOf('.');
        return dot < 0 ? name : name.Substring(dot + 1);
    }
}
