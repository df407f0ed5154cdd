using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TailGuard.Generators.Common;

/// <summary>What a member of a contract interface is to the generators (both classify members the same way).</summary>
internal enum ContractMemberKind
{
    /// <summary>An abstract or virtual (default-bodied) instance method: a call that crosses.</summary>
    Call,

    /// <summary>
    /// Not part of the contract: a private or sealed instance method with a body (a helper that runs wherever it is
    /// called), an accessor (its property or event is classified instead), a nested type, a constant or a static field.
    /// </summary>
    Ignored,

    /// <summary>A member that cannot be a call: a static method, property, indexer, event or protected method.</summary>
    Unsupported,
}

/// <summary>Classifies contract members; <see cref="Describe"/> names an unsupported one for TG1008/TG2008.</summary>
internal static class ContractMember
{
    public static ContractMemberKind Classify(ISymbol member) => member switch
    {
        IMethodSymbol { AssociatedSymbol: not null } => ContractMemberKind.Ignored,
        IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false, IsAbstract: false, IsVirtual: false } => ContractMemberKind.Ignored,
        IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method => IsCallable(method) ? ContractMemberKind.Call : ContractMemberKind.Unsupported,
        IMethodSymbol => ContractMemberKind.Unsupported,
        IPropertySymbol or IEventSymbol => ContractMemberKind.Unsupported,
        _ => ContractMemberKind.Ignored,
    };

    /// <summary>The member's name and kind for a diagnostic ("this[]", "indexer").</summary>
    public static (string Name, string Kind) Describe(ISymbol member) => member switch
    {
        IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method => (method.Name, "protected method"),
        IMethodSymbol { MethodKind: MethodKind.Ordinary } method => (method.Name, "static method"),
        IMethodSymbol method => (method.Name, "static member"),
        IPropertySymbol { IsIndexer: true } => ("this[]", "indexer"),
        IPropertySymbol property => (property.Name, "property"),
        IEventSymbol @event => (@event.Name, "event"),
        _ => (member.Name, "member"),
    };

    /// <summary>Every parameter and result type of the contract's methods.</summary>
    public static IEnumerable<ITypeSymbol> SignatureTypes(INamedTypeSymbol contract)
        => contract.GetMembers().OfType<IMethodSymbol>().SelectMany(m => m.Parameters.Select(p => p.Type).Append(m.ReturnType));

    // Generated code in the same assembly calls the method on the implementation: protected ones are out of its reach.
    private static bool IsCallable(IMethodSymbol method)
        => method.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;
}
