using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.Allocations;

/// <summary>
/// Decides whether one operation allocates on the managed heap, and which rule says so. Pure: the same answer for the
/// hot path being analyzed and for callees summarized by <see cref="CalleeAllocationSummaries"/>.
/// </summary>
internal sealed class AllocationDetector
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.CSharpShortErrorMessageFormat;

    private readonly TailGuardSymbols _symbols;

    internal AllocationDetector(TailGuardSymbols symbols) => _symbols = symbols;

    /// <summary>The operation kinds <see cref="Detect"/> looks at.</summary>
    internal static readonly OperationKind[] Kinds =
    [
        OperationKind.ObjectCreation, OperationKind.AnonymousObjectCreation, OperationKind.With,
        OperationKind.ArrayCreation, OperationKind.CollectionExpression, OperationKind.Conversion,
        OperationKind.Invocation, OperationKind.Binary, OperationKind.CompoundAssignment,
        OperationKind.InterpolatedString, OperationKind.Loop, OperationKind.DelegateCreation,
        OperationKind.LocalFunction, OperationKind.AnonymousFunction,
    ];

    internal AllocationFinding? Detect(IOperation operation) => operation switch
    {
        IObjectCreationOperation creation => ObjectCreation(creation),
        IAnonymousObjectCreationOperation anonymous when !IsThrown(anonymous) =>
            new AllocationFinding(DiagnosticRules.ReferenceTypeAllocation, anonymous.Syntax.GetLocation(), "new anonymous type", "anonymous type"),
        IWithOperation { Type.IsReferenceType: true } with =>
            new AllocationFinding(DiagnosticRules.ReferenceTypeAllocation, with.Syntax.GetLocation(), "'with' copy", Display(with.Type!)),
        IArrayCreationOperation array => ArrayCreation(array),
        ICollectionExpressionOperation collection => CollectionExpression(collection),
        IConversionOperation conversion => Boxing(conversion),
        IInvocationOperation invocation => Invocation(invocation),
        IBinaryOperation binary => StringConcatenation(binary),
        ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String } compound =>
            new AllocationFinding(DiagnosticRules.StringConcatenation, compound.Syntax.GetLocation(), "string concatenation"),
        IInterpolatedStringOperation interpolated => Interpolation(interpolated),
        IForEachLoopOperation loop => ForEach(loop),
        IDelegateCreationOperation @delegate => Delegate(@delegate),
        IAnonymousFunctionOperation { Symbol.IsAsync: true } lambda => StateMachine(lambda.Symbol, lambda.Body, LambdaLocation(lambda)),
        ILocalFunctionOperation localFunction => StateMachine(localFunction.Symbol, localFunction.Body, LocalFunctionLocation(localFunction)),
        _ => null,
    };

    /// <summary>TG3016 or TG3017 for a method, lambda or local function whose body is an iterator or an allocating async state machine.</summary>
    internal AllocationFinding? StateMachine(IMethodSymbol method, IOperation? body, Location location)
    {
        var name = method.MethodKind == MethodKind.AnonymousFunction ? "lambda" : method.Name;
        if (body is not null && ContainsYield(body))
        {
            return new AllocationFinding(DiagnosticRules.IteratorAllocation, location, "iterator", name);
        }

        if (method.IsAsync && AsyncAllocates(method))
        {
            return new AllocationFinding(DiagnosticRules.AsyncStateMachineAllocation, location, "async state machine", name);
        }

        return null;
    }

    private static AllocationFinding? ObjectCreation(IObjectCreationOperation creation)
    {
        if (creation.Type is not { IsReferenceType: true } type || IsThrown(creation))
        {
            return null;
        }

        return new AllocationFinding(DiagnosticRules.ReferenceTypeAllocation, creation.Syntax.GetLocation(), "new '" + Display(type) + "'", Display(type));
    }

    private static AllocationFinding? ArrayCreation(IArrayCreationOperation array)
    {
        var elementType = array.Type is IArrayTypeSymbol arrayType ? Display(arrayType.ElementType) : "?";
        if (array.Parent is IArgumentOperation { ArgumentKind: ArgumentKind.ParamArray } argument)
        {
            // The compiler passes Array.Empty<T>() when no argument lands in the params array.
            if (array.Initializer is null || array.Initializer.ElementValues.IsEmpty)
            {
                return null;
            }

            var callee = argument.Parameter?.ContainingSymbol.Name ?? "?";
            return new AllocationFinding(DiagnosticRules.ParamsArrayAllocation, argument.Parent!.Syntax.GetLocation(), "params array", callee);
        }

        var isEmpty = array.DimensionSizes.Length == 1 && array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: 0 } &&
            (array.Initializer is null || array.Initializer.ElementValues.IsEmpty);
        return new AllocationFinding(DiagnosticRules.ArrayAllocation, array.Syntax.GetLocation(), "array of '" + elementType + "'", elementType)
        {
            Properties = isEmpty ? ImmutableDictionary<string, string?>.Empty.Add(AllocationFinding.EmptyArrayProperty, "true") : null,
        };
    }

    private AllocationFinding? CollectionExpression(ICollectionExpressionOperation collection)
    {
        var type = collection.Type;
        if (type is null || TailGuardSymbols.IsConstructedFrom(type, _symbols.Span) || TailGuardSymbols.IsConstructedFrom(type, _symbols.ReadOnlySpan))
        {
            return null;
        }

        // Empty collection expressions for arrays and the read-only interfaces become Array.Empty<T>().
        if (collection.Elements.IsEmpty && (type is IArrayTypeSymbol || IsReadOnlyCollectionInterface(type)))
        {
            return null;
        }

        return new AllocationFinding(DiagnosticRules.CollectionExpressionAllocation, collection.Syntax.GetLocation(), "collection expression", Display(type));
    }

    private static bool IsReadOnlyCollectionInterface(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Interface } named &&
        named.OriginalDefinition.SpecialType is SpecialType.System_Collections_Generic_IEnumerable_T
            or SpecialType.System_Collections_Generic_IReadOnlyCollection_T
            or SpecialType.System_Collections_Generic_IReadOnlyList_T;

    private static AllocationFinding? Boxing(IConversionOperation conversion)
    {
        if (conversion.Operand.Type is not { IsValueType: true } from || conversion.Type is not { IsReferenceType: true } to ||
            conversion.Conversion.IsUserDefined)
        {
            return null;
        }

        switch (conversion.Parent)
        {
            // "a" + 1 compiles to a ToString call on the value, not to a box.
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String }:
                return null;
            // Holes of interpolated strings go to AppendFormatted<T> (no box) or are reported with the FormattableString.
            case IInterpolationOperation:
                return null;
            case IInvocationOperation invocation when invocation.Instance == conversion && to.TypeKind == TypeKind.Interface:
                // When the struct implements the member, the JIT (.NET 10, full optimization) devirtualizes the call,
                // passes the struct by reference and drops the box: the runtime cross-check measures 0 bytes. A default
                // interface member has no struct implementation and takes 'this' as an object: the box is real.
                if (from is INamedTypeSymbol { TypeKind: TypeKind.Struct } structType &&
                    structType.FindImplementationForInterfaceMember(invocation.TargetMethod) is { ContainingType.TypeKind: not TypeKind.Interface })
                {
                    return null;
                }

                return new AllocationFinding(
                    DiagnosticRules.InterfaceCallOnValueTypeBoxing, conversion.Syntax.GetLocation(), "boxing for an interface call",
                    invocation.TargetMethod.Name, Display(to), Display(from));
        }

        return new AllocationFinding(DiagnosticRules.BoxingAllocation, conversion.Syntax.GetLocation(), "boxing of '" + Display(from) + "'", Display(from), Display(to));
    }

    private AllocationFinding? Invocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var location = invocation.Syntax.GetLocation();
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _symbols.Enumerable))
        {
            return new AllocationFinding(DiagnosticRules.LinqAllocation, location, "LINQ '" + method.Name + "'", method.Name);
        }

        if (method.ContainingType?.SpecialType == SpecialType.System_String && method.IsStatic)
        {
            if (method.Name == "Format")
            {
                return new AllocationFinding(DiagnosticRules.StringFormat, location, "string.Format");
            }

            if (method.Name == "Concat" && !invocation.ConstantValue.HasValue)
            {
                return new AllocationFinding(DiagnosticRules.StringConcatenation, location, "string concatenation");
            }
        }

        if (invocation.Instance is { Type: { IsValueType: true, TypeKind: not TypeKind.TypeParameter } receiverType } &&
            method.ContainingType?.SpecialType is SpecialType.System_Object or SpecialType.System_ValueType or SpecialType.System_Enum &&
            // Not GetType(): the JIT folds it on a value into the type handle, with no box (runtime cross-check).
            method.Name is "ToString" or "GetHashCode" or "Equals")
        {
            return new AllocationFinding(
                DiagnosticRules.InheritedValueTypeMemberBoxing, location, "boxing for inherited '" + method.Name + "'",
                method.Name, Display(receiverType));
        }

        return null;
    }

    private static AllocationFinding? StringConcatenation(IBinaryOperation binary)
    {
        if (binary.OperatorKind != BinaryOperatorKind.Add || binary.Type?.SpecialType != SpecialType.System_String ||
            binary.ConstantValue.HasValue)
        {
            return null;
        }

        // One report per concatenation chain: a + b + c is one string.Concat.
        if (binary.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String })
        {
            return null;
        }

        return new AllocationFinding(DiagnosticRules.StringConcatenation, binary.Syntax.GetLocation(), "string concatenation");
    }

    private static AllocationFinding? Interpolation(IInterpolatedStringOperation interpolated)
    {
        if (interpolated.ConstantValue.HasValue || interpolated.Parent is IInterpolatedStringHandlerCreationOperation)
        {
            return null;
        }

        var target = interpolated.Parent is IConversionOperation { Type: { } converted } ? converted : interpolated.Type;
        var targetName = target is null ? "string" : Display(target);
        return new AllocationFinding(DiagnosticRules.StringInterpolation, interpolated.Syntax.GetLocation(), "string interpolation", targetName);
    }

    private static AllocationFinding? ForEach(IForEachLoopOperation loop)
    {
        if (loop.Syntax is not CommonForEachStatementSyntax syntax || loop.SemanticModel is null)
        {
            return null;
        }

        var collection = loop.Collection is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : loop.Collection;
        if (collection.Type is IArrayTypeSymbol || collection.Type?.SpecialType == SpecialType.System_String)
        {
            return null;
        }

        var info = loop.SemanticModel.GetForEachStatementInfo(syntax);
        if (info.GetEnumeratorMethod?.ReturnType is not { IsReferenceType: true } enumerator)
        {
            return null;
        }

        return new AllocationFinding(
            DiagnosticRules.EnumeratorAllocation, syntax.Expression.GetLocation(), "enumerator '" + Display(enumerator) + "'",
            collection.Type is null ? "?" : Display(collection.Type), Display(enumerator));
    }

    private static AllocationFinding? Delegate(IDelegateCreationOperation creation)
    {
        var location = creation.Syntax.GetLocation();
        if (creation.Syntax is ObjectCreationExpressionSyntax)
        {
            return new AllocationFinding(DiagnosticRules.DelegateAllocation, location, "delegate", "'new " + Display(creation.Type!) + "(...)'");
        }

        switch (creation.Target)
        {
            case IAnonymousFunctionOperation lambda:
                return Lambda(lambda);
            case IMethodReferenceOperation reference:
                return MethodGroup(reference, location);
            default:
                return null;
        }
    }

    private static AllocationFinding? Lambda(IAnonymousFunctionOperation lambda)
    {
        if (lambda.Symbol.IsStatic)
        {
            return null;
        }

        var location = LambdaLocation(lambda);
        var (variables, capturesThis) = CaptureFinder.Find(lambda.Body, lambda.Symbol);
        if (variables.Count > 0)
        {
            return new AllocationFinding(DiagnosticRules.ClosureAllocation, location, "closure", "lambda", Quote(variables));
        }

        if (capturesThis)
        {
            return new AllocationFinding(DiagnosticRules.DelegateAllocation, location, "delegate", "The lambda captures 'this' and");
        }

        if (lambda.Syntax is not AnonymousFunctionExpressionSyntax)
        {
            // A query clause ('where x > 0') compiles to a lambda that has no syntax of its own to mark 'static'.
            return new AllocationFinding(DiagnosticRules.LambdaCouldBeStatic, location, "static-able lambda", QueryClauseAdvice)
            {
                Properties = ImmutableDictionary<string, string?>.Empty.Add(AllocationFinding.QueryClauseProperty, "true"),
            };
        }

        return new AllocationFinding(DiagnosticRules.LambdaCouldBeStatic, location, "static-able lambda", StaticAdvice);
    }

    private const string StaticAdvice = "make it 'static' so a later edit cannot add a capture (and an allocation)";

    private const string QueryClauseAdvice =
        "it is written by a query clause, which cannot be made 'static'; to pin it, rewrite the query in method syntax with a 'static' lambda";

    private static AllocationFinding? MethodGroup(IMethodReferenceOperation reference, Location location)
    {
        var method = reference.Method;
        if (method.MethodKind == MethodKind.LocalFunction && !method.IsStatic)
        {
            var declaration = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
            if (declaration is not null && reference.SemanticModel?.GetOperation(declaration) is ILocalFunctionOperation localFunction)
            {
                var (variables, capturesThis) = CaptureFinder.Find(localFunction.Body!, method);
                if (variables.Count > 0)
                {
                    return new AllocationFinding(DiagnosticRules.ClosureAllocation, location, "closure", "local function '" + method.Name + "'", Quote(variables));
                }

                if (!capturesThis)
                {
                    // The compiler emits a local function that captures nothing as a static method.
                    return StaticMethodGroup(reference, location, method);
                }
            }

            return new AllocationFinding(DiagnosticRules.DelegateAllocation, location, "delegate", "The conversion of local function '" + method.Name + "'");
        }

        if (!method.IsStatic || reference.Instance is not null)
        {
            return new AllocationFinding(DiagnosticRules.DelegateAllocation, location, "delegate", "The method group '" + method.Name + "'");
        }

        return StaticMethodGroup(reference, location, method);
    }

    private static AllocationFinding? StaticMethodGroup(IMethodReferenceOperation reference, Location location, IMethodSymbol method)
    {
        // C# 11 and later cache the delegate of a static method group in a static field.
        if (reference.Syntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: >= LanguageVersion.CSharp11 })
        {
            return null;
        }

        return new AllocationFinding(DiagnosticRules.DelegateAllocation, location, "delegate", "The method group '" + method.Name + "' (before C# 11)");
    }

    private bool AsyncAllocates(IMethodSymbol method)
    {
        if (method.ReturnsVoid)
        {
            return true;
        }

        var returnType = method.ReturnType;
        var isTask = SymbolEqualityComparer.Default.Equals(returnType, _symbols.Task) || TailGuardSymbols.IsConstructedFrom(returnType, _symbols.TaskOfT);
        var isValueTask = SymbolEqualityComparer.Default.Equals(returnType, _symbols.ValueTask) || TailGuardSymbols.IsConstructedFrom(returnType, _symbols.ValueTaskOfT);
        if (isTask)
        {
            return true;
        }

        if (!isValueTask)
        {
            // Other task-like types bring their own builder; TailGuard does not guess what it does.
            return false;
        }

        foreach (var attribute in method.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, _symbols.AsyncMethodBuilder) &&
                attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is INamedTypeSymbol builder &&
                (SymbolEqualityComparer.Default.Equals(builder.OriginalDefinition, _symbols.PoolingBuilder) ||
                 SymbolEqualityComparer.Default.Equals(builder.OriginalDefinition, _symbols.PoolingBuilderOfT)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the body (not counting nested lambdas or local functions) has a yield statement.</summary>
    internal static bool ContainsYield(IOperation body)
    {
        foreach (var child in body.ChildOperations)
        {
            if (child is IReturnOperation { Kind: OperationKind.YieldReturn or OperationKind.YieldBreak })
            {
                return true;
            }

            if (child is ILocalFunctionOperation or IAnonymousFunctionOperation)
            {
                continue;
            }

            if (ContainsYield(child))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsThrown(IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is IConversionOperation { IsImplicit: true })
        {
            parent = parent.Parent;
        }

        return parent is IThrowOperation;
    }

    private static Location LambdaLocation(IAnonymousFunctionOperation lambda) => lambda.Syntax switch
    {
        ParenthesizedLambdaExpressionSyntax parenthesized => Location.Create(parenthesized.SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(parenthesized.SpanStart, parenthesized.ArrowToken.Span.End)),
        SimpleLambdaExpressionSyntax simple => Location.Create(simple.SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(simple.SpanStart, simple.ArrowToken.Span.End)),
        AnonymousMethodExpressionSyntax anonymous => anonymous.DelegateKeyword.GetLocation(),
        _ => lambda.Syntax.GetLocation(),
    };

    private static Location LocalFunctionLocation(ILocalFunctionOperation localFunction) =>
        localFunction.Syntax is LocalFunctionStatementSyntax syntax ? syntax.Identifier.GetLocation() : localFunction.Syntax.GetLocation();

    private static string Quote(System.Collections.Generic.List<string> names) => "'" + string.Join("', '", names) + "'";

    internal static string Display(ITypeSymbol type) => type.ToDisplayString(TypeFormat);
}
