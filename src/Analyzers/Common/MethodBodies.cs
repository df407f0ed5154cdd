using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The operation trees of methods' bodies in source, for the interprocedural parts of the analyzers, bound once per
/// compilation: one semantic model per tree and one set of bodies per method, however many callers and summaries ask.
/// (The analyzer driver drops its own cached model of a tree once the tree is analyzed, and a fresh model binds again.)
/// </summary>
internal sealed class MethodBodies
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IOperation>> _bodies = new(SymbolEqualityComparer.Default);

    internal MethodBodies(Compilation compilation) => _compilation = compilation;

    /// <summary>The declaration that has the body: the implementation part of a partial method, the unreduced extension.</summary>
    internal static IMethodSymbol Definition(IMethodSymbol method)
    {
        method = method.ReducedFrom ?? method;
        method = method.OriginalDefinition;
        return method.PartialImplementationPart ?? method;
    }

    /// <summary>
    /// True when <paramref name="method"/> is declared in source of <paramref name="compilation"/>, including the
    /// constructors the compiler declares for a source type (they run its field and property initializers).
    /// </summary>
    internal static bool IsInSource(Compilation compilation, IMethodSymbol method) =>
        SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly) &&
        (method.DeclaringSyntaxReferences.Length > 0 || IsInstanceConstructor(method));

    /// <summary>True for an instance constructor (a struct's or a class's), declared or implicit.</summary>
    internal static bool IsInstanceConstructor(IMethodSymbol method) => method is { MethodKind: MethodKind.Constructor, IsStatic: false };

    /// <summary>
    /// The bodies of <paramref name="method"/>; for an instance constructor that does not chain to <c>this(...)</c>,
    /// also the initializers of the type's instance fields and properties, which it runs first.
    /// <paramref name="callerModel"/> is the model the driver is analyzing the caller with; a callee in the same tree is
    /// bound with it, so its body is bound once for the driver and for us.
    /// </summary>
    internal ImmutableArray<IOperation> Get(IMethodSymbol method, SemanticModel? callerModel) =>
        _bodies.TryGetValue(method, out var bodies) ? bodies : _bodies.GetOrAdd(method, Bind(method, callerModel));

    private ImmutableArray<IOperation> Bind(IMethodSymbol method, SemanticModel? callerModel)
    {
        var bodies = ImmutableArray.CreateBuilder<IOperation>();
        var chainsToThis = false;
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            chainsToThis |= syntax is ConstructorDeclarationSyntax { Initializer.ThisOrBaseKeyword.RawKind: (int)SyntaxKind.ThisKeyword };
            if (syntax is TypeDeclarationSyntax type)
            {
                // A primary constructor: its body is the call of the base constructor with arguments, if written.
                if (PrimaryConstructorBaseCall(type) is { } baseCall)
                {
                    AddOperation(bodies, baseCall, callerModel);
                }

                continue;
            }

            AddOperation(bodies, syntax, callerModel);
        }

        if (IsInstanceConstructor(method) && !chainsToThis && !IsRecordCopyConstructor(method))
        {
            AddInstanceInitializers(bodies, method.ContainingType, callerModel);
        }

        return bodies.ToImmutable();
    }

    /// <summary>
    /// The node of a code block whose operation is the root the analysis runs on, or null when nothing in the block runs.
    /// The driver hands over a field's (or event's) whole declaration for each variable with an initializer, and a
    /// property's or enum member's declaration: their initializer is the root. A type's own block (handed over when the
    /// type has attributes) holds only attribute arguments, constants that never run: null, so its text is not read
    /// either. Any other block (a method's, accessor's, constructor's or operator's declaration, an expression body, a
    /// type declaration owned by its primary constructor, for the base call) is its own root.
    /// </summary>
    internal static SyntaxNode? ExecutableRoot(ISymbol owner, SyntaxNode codeBlock) => codeBlock switch
    {
        _ when owner.Kind == SymbolKind.NamedType => null,
        BaseFieldDeclarationSyntax field => InitializerOf(field, owner.Name) ?? codeBlock,
        PropertyDeclarationSyntax { Initializer: { } value } => value,
        EnumMemberDeclarationSyntax { EqualsValue: { } value } => value,
        _ => codeBlock,
    };

    private static EqualsValueClauseSyntax? InitializerOf(BaseFieldDeclarationSyntax field, string name)
    {
        foreach (var variable in field.Declaration.Variables)
        {
            if (variable.Identifier.ValueText == name)
            {
                return variable.Initializer;
            }
        }

        return null;
    }

    /// <summary>A primary constructor: declared by the type's own declaration (<c>class C(int x)</c>, records).</summary>
    internal static bool IsPrimaryConstructor(IMethodSymbol constructor)
    {
        if (constructor.MethodKind != MethodKind.Constructor)
        {
            return false;
        }

        foreach (var reference in constructor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is TypeDeclarationSyntax)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The <c>: Base(arguments)</c> of a type with a primary constructor, or null.</summary>
    internal static PrimaryConstructorBaseTypeSyntax? PrimaryConstructorBaseCall(TypeDeclarationSyntax type)
    {
        if (type.BaseList is { } bases)
        {
            foreach (var baseType in bases.Types)
            {
                if (baseType is PrimaryConstructorBaseTypeSyntax call)
                {
                    return call;
                }
            }
        }

        return null;
    }

    // The copy constructor the compiler declares for a record copies fields; it does not run the initializers.
    private static bool IsRecordCopyConstructor(IMethodSymbol method) =>
        method.IsImplicitlyDeclared && method.ContainingType.IsRecord && method.Parameters.Length == 1 &&
        SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, method.ContainingType);

    private void AddInstanceInitializers(ImmutableArray<IOperation>.Builder bodies, INamedTypeSymbol type, SemanticModel? callerModel)
    {
        foreach (var member in type.GetMembers())
        {
            if (member.IsStatic || member is not (IFieldSymbol or IPropertySymbol))
            {
                continue;
            }

            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var initializer = reference.GetSyntax() switch
                {
                    VariableDeclaratorSyntax { Initializer: { } value } => value,
                    PropertyDeclarationSyntax { Initializer: { } value } => value,
                    _ => null,
                };
                if (initializer is not null)
                {
                    AddOperation(bodies, initializer, callerModel);
                }
            }
        }
    }

    private void AddOperation(ImmutableArray<IOperation>.Builder bodies, SyntaxNode syntax, SemanticModel? callerModel)
    {
        var model = callerModel is not null && callerModel.SyntaxTree == syntax.SyntaxTree
            ? callerModel
            : _models.GetOrAdd(syntax.SyntaxTree, CreateModel);
        if (model.GetOperation(syntax) is { } body)
        {
            bodies.Add(body);
        }
    }

    // The interprocedural analyses of dotnet/roslyn-analyzers get callee bodies the same way.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    private SemanticModel CreateModel(SyntaxTree tree) => _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
}
