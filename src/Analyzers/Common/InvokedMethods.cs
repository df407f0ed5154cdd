using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TailGuard.Analyzers.Common;

/// <summary>
/// The methods an operation runs besides what it does itself: the target of a call, the constructor of a
/// <c>new</c> (class or struct), the accessors a property or indexer reference uses (get, set or both), user-defined
/// operators and conversion operators, and the GetEnumerator/MoveNext/Current a <c>foreach</c> calls. Delegate
/// invocations run whatever the delegate holds and are not resolved.
/// </summary>
internal static class InvokedMethods
{
    /// <summary>The operation kinds <see cref="AddTo"/> finds methods in.</summary>
    internal static readonly OperationKind[] Kinds =
    [
        OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.PropertyReference, OperationKind.Binary,
        OperationKind.Unary, OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement,
        OperationKind.Conversion, OperationKind.Loop,
    ];

    /// <summary>Adds the methods <paramref name="operation"/> runs to <paramref name="methods"/>, in the order they run.</summary>
    internal static void AddTo(IOperation operation, List<IMethodSymbol> methods)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                methods.Add(invocation.TargetMethod);
                break;
            case IObjectCreationOperation { Constructor: { } constructor }:
                methods.Add(constructor);
                break;
            case IPropertyReferenceOperation property:
                AddAccessors(property, methods);
                break;
            case IBinaryOperation { OperatorMethod: { } binaryOperator }:
                methods.Add(binaryOperator);
                break;
            case IUnaryOperation { OperatorMethod: { } unaryOperator }:
                methods.Add(unaryOperator);
                break;
            case ICompoundAssignmentOperation { OperatorMethod: { } compoundOperator }:
                methods.Add(compoundOperator);
                break;
            case IIncrementOrDecrementOperation { OperatorMethod: { } incrementOperator }:
                methods.Add(incrementOperator);
                break;
            case IConversionOperation { OperatorMethod: { } conversionOperator }:
                methods.Add(conversionOperator);
                break;
            case IForEachLoopOperation loop:
                AddEnumeratorMethods(loop, methods);
                break;
        }
    }

    /// <summary>Where a call by <paramref name="operation"/> is reported: a foreach at its collection, others at themselves.</summary>
    internal static Location CallSite(IOperation operation) =>
        operation.Syntax is CommonForEachStatementSyntax loop ? loop.Expression.GetLocation() : operation.Syntax.GetLocation();

    /// <summary>How a method appears in a call chain: <c>Name</c>, <c>new Type</c>, <c>Name.get</c>, <c>operator +</c>.</summary>
    internal static string Describe(IMethodSymbol method)
    {
        switch (method.MethodKind)
        {
            case MethodKind.Constructor:
                return "new " + method.ContainingType.Name;
            case MethodKind.PropertyGet or MethodKind.PropertySet when method.AssociatedSymbol is IPropertySymbol property:
                return (property.IsIndexer ? "this[]" : property.Name) + (method.MethodKind == MethodKind.PropertyGet ? ".get" : ".set");
            case MethodKind.UserDefinedOperator:
                var kind = SyntaxFacts.GetOperatorKind(method.MetadataName);
                return "operator " + (kind == SyntaxKind.None ? method.Name : SyntaxFacts.GetText(kind));
            case MethodKind.Conversion:
                return (method.Name == WellKnownMemberNames.ExplicitConversionName ? "explicit" : "implicit") + " operator " +
                    method.ReturnType.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
            default:
                return method.Name;
        }
    }

    private static void AddAccessors(IPropertyReferenceOperation reference, List<IMethodSymbol> methods)
    {
        var property = reference.Property;
        var (reads, writes) = Usage(reference);
        if (reads && property.GetMethod is { } getter)
        {
            methods.Add(getter);
        }

        if (writes && property.SetMethod is { } setter)
        {
            methods.Add(setter);
        }
    }

    /// <summary>Whether a property reference reads (get), writes (set) or both, from where it stands.</summary>
    private static (bool Reads, bool Writes) Usage(IPropertyReferenceOperation reference)
    {
        if (reference.Property.ReturnsByRef || reference.Property.ReturnsByRefReadonly)
        {
            return (true, false);
        }

        return reference.Parent switch
        {
            ISimpleAssignmentOperation assignment when assignment.Target == reference => (false, true),
            ICompoundAssignmentOperation compound when compound.Target == reference => (true, true),
            ICoalesceAssignmentOperation coalesce when coalesce.Target == reference => (true, true),
            IIncrementOrDecrementOperation => (true, true),
            _ => (true, false),
        };
    }

    private static void AddEnumeratorMethods(IForEachLoopOperation loop, List<IMethodSymbol> methods)
    {
        if (loop.Syntax is not CommonForEachStatementSyntax syntax || loop.SemanticModel is null)
        {
            return;
        }

        var info = loop.SemanticModel.GetForEachStatementInfo(syntax);
        if (info.GetEnumeratorMethod is { } getEnumerator)
        {
            methods.Add(getEnumerator);
        }

        if (info.MoveNextMethod is { } moveNext)
        {
            methods.Add(moveNext);
        }

        if (info.CurrentProperty?.GetMethod is { } current)
        {
            methods.Add(current);
        }
    }
}
