using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Decides whether a TG3002 array can become <c>Span&lt;T&gt; name = stackalloc T[n]</c> without changing what the code
/// does: a local of one small constant-size array of an unmanaged primitive or enum, declared outside any loop (a
/// stackalloc in a loop grows the stack on every iteration), in a method that is neither async nor an iterator, and
/// used only in ways a span supports with the same syntax (elements, <c>Length</c>, conversion to a span, foreach,
/// <c>AsSpan</c>, which the fix rewrites to the span or a <c>Slice</c>). Anything else (returned, stored, captured,
/// passed as an array, reassigned) keeps the array and gets no fix.
/// </summary>
internal static class StackallocCandidate
{
    /// <summary>The largest array, in bytes, the fix moves to the stack.</summary>
    internal const int MaxBytes = 256;

    internal static bool IsCandidate(IArrayCreationOperation array)
    {
        if (array.Type is not IArrayTypeSymbol { Rank: 1, ElementType: var element } || ElementSize(element) is not { } size ||
            Length(array) is not { } length || length <= 0 || (long)length * size > MaxBytes)
        {
            return false;
        }

        if (array.Parent is not IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } ||
            declarator.Parent is not IVariableDeclarationOperation { Declarators.Length: 1, Parent: IVariableDeclarationGroupOperation } ||
            declarator.Symbol.IsRef)
        {
            return false;
        }

        var function = EnclosingFunction(array, out var inLoop);
        if (function is null || inLoop || IsAsyncOrIterator(function, array))
        {
            return false;
        }

        foreach (var operation in function.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol) &&
                (!IsSpanCompatible(reference) || EnclosingFunction(reference, out _) != function))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for <c>x.AsSpan(...)</c> on the array: the fix rewrites it to <c>x</c> or <c>x.Slice(...)</c>.</summary>
    internal static bool IsAsSpan(IInvocationOperation invocation) =>
        invocation.TargetMethod is { Name: "AsSpan", IsExtensionMethod: true, ContainingType.Name: "MemoryExtensions" } method &&
        method.Parameters.Length is >= 1 and <= 3 && method.Parameters[0].Type is IArrayTypeSymbol &&
        (method.Parameters.Length == 1 || method.Parameters[1].Type.SpecialType == SpecialType.System_Int32);

    private static bool IsSpanCompatible(ILocalReferenceOperation reference) => reference.Parent switch
    {
        IArrayElementReferenceOperation element => element.ArrayReference == reference,
        IPropertyReferenceOperation { Property.Name: "Length" } => true,
        IConversionOperation { IsImplicit: true, Type: INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", ContainingNamespace.Name: "System" } } => true,
        IForEachLoopOperation loop => loop.Collection == reference,
        IConversionOperation { IsImplicit: true, Parent: IForEachLoopOperation loop } conversion => loop.Collection == conversion,
        IArgumentOperation { Parent: IInvocationOperation invocation } argument =>
            invocation.Arguments[0] == argument && IsAsSpan(invocation) && reference.Syntax.Parent is MemberAccessExpressionSyntax,
        _ => false,
    };

    private static IOperation? EnclosingFunction(IOperation operation, out bool inLoop)
    {
        inLoop = false;
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILoopOperation:
                    inLoop = true;
                    break;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return current;
            }

            if (current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    private static bool IsAsyncOrIterator(IOperation function, IOperation inside)
    {
        var symbol = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Symbol,
            ILocalFunctionOperation local => local.Symbol,
            _ => inside.SemanticModel?.GetEnclosingSymbol(inside.Syntax.SpanStart) as IMethodSymbol,
        };
        var body = function switch
        {
            IAnonymousFunctionOperation lambda => lambda.Body,
            ILocalFunctionOperation local => local.Body,
            _ => function,
        };
        return symbol is null || symbol.IsAsync || (body is not null && AllocationDetector.ContainsYield(body));
    }

    private static int? Length(IArrayCreationOperation array)
    {
        if (array.DimensionSizes.Length != 1)
        {
            return null;
        }

        return array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int length } ? length : null;
    }

    private static int? ElementSize(ITypeSymbol element)
    {
        if (element is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            element = underlying;
        }

        return element.SpecialType switch
        {
            SpecialType.System_Byte or SpecialType.System_SByte or SpecialType.System_Boolean => 1,
            SpecialType.System_Char or SpecialType.System_Int16 or SpecialType.System_UInt16 => 2,
            SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Single => 4,
            SpecialType.System_Int64 or SpecialType.System_UInt64 or SpecialType.System_Double => 8,
            SpecialType.System_Decimal => 16,
            _ => null,
        };
    }
}
