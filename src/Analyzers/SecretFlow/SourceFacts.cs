using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The first look at a method, in one walk of its operation tree and cached per compilation: does it read a [Secret]
/// source itself, and which methods of the compilation that return a value does it run (calls, getters, operators,
/// conversions)? A method that neither reads a source nor runs a method that may return one of its own has nothing to
/// analyze, which is most methods of a project.
/// </summary>
internal sealed class SourceFacts
{
    private SourceFacts(bool readsSource, ImmutableArray<IMethodSymbol> callees)
    {
        ReadsSource = readsSource;
        Callees = callees;
    }

    /// <summary>Reads a [Secret] field, property or parameter, or calls a method whose return value is [Secret].</summary>
    internal bool ReadsSource { get; }

    /// <summary>Methods of the compilation it runs that return something (candidates for returning their own secret).</summary>
    internal ImmutableArray<IMethodSymbol> Callees { get; }

    internal static SourceFacts Compute(ImmutableArray<IOperation> bodies, SecretFlowEngine engine)
    {
        var catalog = engine.Catalog;
        var callees = new List<IMethodSymbol>();
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var invoked = new List<IMethodSymbol>(2);
        foreach (var body in bodies)
        {
            foreach (var operation in body.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IFieldReferenceOperation field when catalog.IsSecret(field.Field):
                    case IPropertyReferenceOperation property when catalog.IsSecret(property.Property):
                    case IParameterReferenceOperation parameter when engine.IsSecretParameter(parameter.Parameter):
                    case IInvocationOperation invocation when catalog.ReturnsSecret(invocation.TargetMethod):
                        return new SourceFacts(true, ImmutableArray<IMethodSymbol>.Empty);
                }

                invoked.Clear();
                InvokedMethods.AddTo(operation, invoked);
                foreach (var method in invoked)
                {
                    // Cheapest tests first: this runs for every call, accessor and operator of the project.
                    if (method.ReturnsVoid || method.MethodKind == MethodKind.LocalFunction ||
                        !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, engine.Compilation.Assembly))
                    {
                        continue;
                    }

                    var definition = MethodBodies.Definition(method);
                    if (MethodBodies.IsInSource(engine.Compilation, definition) && seen.Add(definition) && !catalog.IsDeclassifier(method))
                    {
                        callees.Add(definition);
                    }
                }
            }
        }

        return new SourceFacts(false, callees.ToImmutableArray());
    }
}
