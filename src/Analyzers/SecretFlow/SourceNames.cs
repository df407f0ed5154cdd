using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Reflection.Metadata;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using TailGuard.Analyzers.Common;

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

    // Whether each member declaration scanned by Build mentions a reached name or declares an attribute inside itself:
    // a body inside one of them is answered without walking its tokens a second time.
    private readonly Dictionary<SyntaxNode, bool>? _verdicts;

    private SourceNames(HashSet<string>? reached, Dictionary<SyntaxNode, bool>? verdicts)
    {
        _reached = reached;
        _verdicts = verdicts;
    }

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

        // The member declaration around the body holds every token of it: its verdict is the body's, or wider.
        for (var node = body; node is not null && node is not (BaseTypeDeclarationSyntax or CompilationUnitSyntax); node = node.Parent)
        {
            if (_verdicts!.TryGetValue(node, out var verdict))
            {
                return verdict;
            }
        }

        return Mentions(body, _reached);
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
            return new SourceNames(null, null);
        }

        // The member declarations of the compilation. Those that can run and return something (methods, properties,
        // indexers, operators, conversions) take part in the fixed point below; the others (constructors, fields, events)
        // are scanned only for the verdict of the bodies inside them.
        var declarations = new List<Declaration>();
        var candidates = new HashSet<string>(reached, StringComparer.Ordinal);
        foreach (var tree in engine.Compilation.SyntaxTrees)
        {
            // TailGuard's own stubs name no source their contracts do not: the contract, in the user's code, reaches those
            // names. They are three times the user's code in a project with many contracts.
            if (TailGuardGeneratedCode.Contains(tree))
            {
                continue;
            }

            // Read as text (DeclarationText): walking every declaration's tokens would build the syntax nodes of every body.
            var text = tree.GetText();
            foreach (var node in tree.GetRoot().DescendantNodes(static node => node is not MemberDeclarationSyntax || node is BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
            {
                switch (node)
                {
                    case MethodDeclarationSyntax declaration:
                        declarations.Add(new Declaration(node, declaration.Identifier.ValueText, returns: true, text));
                        candidates.Add(declaration.Identifier.ValueText);
                        break;
                    case PropertyDeclarationSyntax declaration:
                        declarations.Add(new Declaration(node, declaration.Identifier.ValueText, returns: true, text));
                        candidates.Add(declaration.Identifier.ValueText);
                        break;
                    case IndexerDeclarationSyntax or OperatorDeclarationSyntax or ConversionOperatorDeclarationSyntax:
                        declarations.Add(new Declaration(node, name: null, returns: true, text));
                        break;
                    case BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax or BaseFieldDeclarationSyntax:
                        declarations.Add(new Declaration(node, name: null, returns: false, text));
                        break;
                }
            }
        }

        // One pass over each declaration's text (its tokens when the text spells a name in escapes): the names that matter
        // (a source's, or a declared member's) it mentions.
        var mentionedBy = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var mentions = new HashSet<string>(StringComparer.Ordinal);
        var textCandidates = new DeclarationText.Candidates(candidates);
        // One buffer for the text of every tree, in turn: the declarations of a tree are listed together.
        var buffer = Array.Empty<char>();
        SourceText? buffered = null;
        for (var i = 0; i < declarations.Count; i++)
        {
            mentions.Clear();
            var declaration = declarations[i];
            if (declaration.Text != buffered)
            {
                buffered = declaration.Text;
                if (buffer.Length < buffered.Length)
                {
                    buffer = new char[buffered.Length];
                }

                buffered.CopyTo(0, buffer, 0, buffered.Length);
            }

            declaration.DeclaresAttribute = DeclarationText.Collect(declaration.Node, buffer, textCandidates, mentions) ??
                Collect(declaration.Node, candidates, mentions);
            declaration.Mentions = new string[mentions.Count];
            mentions.CopyTo(declaration.Mentions);
            if (declaration.Returns)
            {
                foreach (var name in declaration.Mentions)
                {
                    if (!mentionedBy.TryGetValue(name, out var list))
                    {
                        mentionedBy.Add(name, list = new List<int>());
                    }

                    list.Add(i);
                }
            }
        }

        // To a fixed point: a declaration that mentions a reached name (or declares a [Secret]-capable attribute inside
        // itself) may return a secret of its own, so its name is reached too.
        var pending = new Queue<string>(reached);
        foreach (var declaration in declarations)
        {
            if (declaration.Returns && declaration.DeclaresAttribute && !Reach(declaration, reached, pending))
            {
                return new SourceNames(null, null);
            }
        }

        while (pending.Count > 0)
        {
            if (mentionedBy.TryGetValue(pending.Dequeue(), out var list))
            {
                foreach (var index in list)
                {
                    if (!Reach(declarations[index], reached, pending))
                    {
                        return new SourceNames(null, null);
                    }
                }
            }
        }

        var verdicts = new Dictionary<SyntaxNode, bool>(declarations.Count);
        foreach (var declaration in declarations)
        {
            verdicts[declaration.Node] = declaration.DeclaresAttribute || MentionsAny(declaration.Mentions, reached);
        }

        return new SourceNames(reached, verdicts);
    }

    // Marks a declaration reached; false when it cannot be followed by name (the filter must be off).
    private static bool Reach(Declaration declaration, HashSet<string> reached, Queue<string> pending)
    {
        if (declaration.Reached)
        {
            return true;
        }

        declaration.Reached = true;
        if (declaration.Name is null || PatternNames.Contains(declaration.Name))
        {
            return false;
        }

        if (reached.Add(declaration.Name))
        {
            pending.Enqueue(declaration.Name);
        }

        return true;
    }

    private static bool MentionsAny(string[] names, HashSet<string> reached)
    {
        foreach (var name in names)
        {
            if (reached.Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The sources' names, and the names of source methods with a [Secret] parameter (they read one). False when a source
    /// cannot be followed by name (a [Secret] indexer, operator or delegate).
    /// </summary>
    private static bool AddSources(SecretFlowEngine engine, HashSet<string> reached)
    {
        var compilation = engine.Compilation;
        if (!AddSources(compilation.Assembly.GlobalNamespace, engine, reached, Scope.Source))
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
            if ((SymbolEqualityComparer.Default.Equals(reference, attributeAssembly) || References(reference, attributeAssembly.Identity)) &&
                AppliesAttribute(compilation, reference, engine.Symbols.Secret!))
            {
                // Without internals visible to the compilation, only what other assemblies can see is reached from it.
                var scope = reference.GivesAccessTo(compilation.Assembly) ? Scope.InternalsVisible : Scope.Visible;
                if (!AddSources(reference.GlobalNamespace, engine, reached, scope))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Whether the metadata of <paramref name="assembly"/> applies <paramref name="attribute"/> (by name) anywhere, return
    /// values included. Reading its attribute table is far cheaper than loading the symbols of all its members, and most
    /// assemblies that reference TailGuard (TailGuard's own among them) declare no [Secret] member. True when the
    /// metadata cannot be read.
    /// </summary>
    private static bool AppliesAttribute(Compilation compilation, IAssemblySymbol assembly, INamedTypeSymbol attribute)
    {
        if (compilation.GetMetadataReference(assembly) is not PortableExecutableReference reference)
        {
            return true;
        }

        try
        {
            var modules = reference.GetMetadata() switch
            {
                AssemblyMetadata metadata => metadata.GetModules(),
                ModuleMetadata module => ImmutableArray.Create(module),
                _ => default,
            };
            if (modules.IsDefault)
            {
                return true;
            }

            var @namespace = attribute.ContainingNamespace.ToDisplayString();
            foreach (var module in modules)
            {
                var reader = module.GetMetadataReader();
                foreach (var handle in reader.CustomAttributes)
                {
                    if (IsAttributeNamed(reader, reader.GetCustomAttribute(handle).Constructor, attribute.MetadataName, @namespace))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
        catch (Exception exception) when (exception is BadImageFormatException or InvalidOperationException or IOException)
        {
            return true;
        }
    }

    private static bool IsAttributeNamed(MetadataReader reader, EntityHandle constructor, string name, string @namespace)
    {
        StringHandle typeName, typeNamespace;
        switch (constructor.Kind)
        {
            case HandleKind.MethodDefinition:
                var type = reader.GetTypeDefinition(reader.GetMethodDefinition((MethodDefinitionHandle)constructor).GetDeclaringType());
                (typeName, typeNamespace) = (type.Name, type.Namespace);
                break;
            case HandleKind.MemberReference when reader.GetMemberReference((MemberReferenceHandle)constructor).Parent is { Kind: HandleKind.TypeReference } parent:
                var referenced = reader.GetTypeReference((TypeReferenceHandle)parent);
                (typeName, typeNamespace) = (referenced.Name, referenced.Namespace);
                break;
            default:
                return false;
        }

        return reader.StringComparer.Equals(typeName, name) && reader.StringComparer.Equals(typeNamespace, @namespace);
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

    private static bool AddSources(INamespaceOrTypeSymbol container, SecretFlowEngine engine, HashSet<string> reached, Scope scope)
    {
        foreach (var member in container.GetMembers())
        {
            if (!IsInScope(member, scope))
            {
                continue;
            }

            switch (member)
            {
                case INamedTypeSymbol { DelegateInvokeMethod: { } invoke } when engine.Catalog.ReturnsSecret(invoke):
                    return false;
                case INamedTypeSymbol generated when scope == Scope.Source && TailGuardGeneratedCode.DeclaresOnly(generated):
                    // A proxy, entry, client or dispatcher: its [Secret] members are its contract's, which is walked.
                    break;
                case INamespaceOrTypeSymbol nested:
                    if (!AddSources(nested, engine, reached, scope))
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
                    if (!AddSources(method, engine, reached, scope == Scope.Source))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    // Private members of another assembly, and its internal ones unless it gives the compilation access, are never
    // read by the compilation's code.
    private static bool IsInScope(ISymbol member, Scope scope) => scope switch
    {
        Scope.Visible => member.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal ||
            member.Kind == SymbolKind.Namespace,
        Scope.InternalsVisible => member.DeclaredAccessibility != Accessibility.Private,
        _ => true,
    };

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
    /// </summary>
    private static bool Mentions(SyntaxNode root, HashSet<string> names)
    {
        foreach (var token in root.DescendantTokens())
        {
            switch (token.RawKind)
            {
                case (int)SyntaxKind.IdentifierToken when names.Contains(token.ValueText):
                    return true;
                case (int)SyntaxKind.OpenBracketToken when OpensAttributeInside(token, root):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds to <paramref name="mentions"/> every name of <paramref name="candidates"/> that <paramref name="root"/>
    /// mentions, and answers whether it declares an attribute inside itself (as <see cref="Mentions"/> does).
    /// </summary>
    private static bool Collect(SyntaxNode root, HashSet<string> candidates, HashSet<string> mentions)
    {
        var declaresAttribute = false;
        foreach (var token in root.DescendantTokens())
        {
            switch (token.RawKind)
            {
                case (int)SyntaxKind.IdentifierToken when candidates.Contains(token.ValueText) && !IsOwnName(token, root):
                    mentions.Add(token.ValueText);
                    break;
                case (int)SyntaxKind.OpenBracketToken when !declaresAttribute && OpensAttributeInside(token, root):
                    declaresAttribute = true;
                    break;
            }
        }

        return declaresAttribute;
    }

    /// <summary>
    /// Whether <paramref name="token"/> is a name <paramref name="root"/> declares (a method's, a property's, a field's
    /// variables'): a body that mentions no other name reads no source and calls nothing by name (a recursive call writes
    /// the name again, inside the body).
    /// </summary>
    internal static bool IsOwnName(SyntaxToken token, SyntaxNode root) =>
        token.Parent == root || (token.Parent is VariableDeclaratorSyntax { Parent.Parent: var declaration } && declaration == root);

    /// <summary>
    /// Whether <paramref name="token"/> opens an attribute list declared inside <paramref name="root"/> (on a lambda, a
    /// local function or their parameters: a [Secret] one there is a source no name gives away), not one of the
    /// declaration's own.
    /// </summary>
    internal static bool OpensAttributeInside(SyntaxToken token, SyntaxNode root) =>
        token.RawKind == (int)SyntaxKind.OpenBracketToken && token.Parent is AttributeListSyntax list && !IsOwnAttribute(list, root);

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

    /// <summary>Where the members <see cref="AddSources(SecretFlowEngine, HashSet{string})"/> looks at are declared.</summary>
    private enum Scope
    {
        /// <summary>In the compilation: every member.</summary>
        Source,

        /// <summary>In another assembly: what it shows to every assembly.</summary>
        Visible,

        /// <summary>In another assembly whose internals the compilation sees.</summary>
        InternalsVisible,
    }

    /// <summary>A member declaration of the compilation, as <see cref="Build"/> sees it.</summary>
    private sealed class Declaration
    {
        internal Declaration(SyntaxNode node, string? name, bool returns, SourceText text)
        {
            Node = node;
            Name = name;
            Returns = returns;
            Text = text;
        }

        internal SyntaxNode Node { get; }

        /// <summary>The name it is called by; null for indexers, operators and conversions (run without their name).</summary>
        internal string? Name { get; }

        /// <summary>Whether it can run and return something, and so takes part in the fixed point.</summary>
        internal bool Returns { get; }

        /// <summary>The text of the file it is declared in (read as text, <see cref="DeclarationText"/>).</summary>
        internal SourceText Text { get; }

        internal bool DeclaresAttribute { get; set; }

        internal string[] Mentions { get; set; } = Array.Empty<string>();

        internal bool Reached { get; set; }
    }
}
