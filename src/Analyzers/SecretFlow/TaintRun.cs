using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// An intraprocedural taint analysis of one body over its operation tree. Locals and parameters become tainted when a
/// tainted value is assigned, copied or written into them; taint is never removed (flow-insensitive), and a fixed number
/// of passes carries it around loops. A final pass collects the sinks that tainted values reach. Calls into methods of
/// the compilation use <see cref="SecretFlowEngine.Summarize"/>; [Declassifier] calls end a flow.
/// </summary>
internal sealed class TaintRun
{
    /// <summary>Propagation passes before the sink pass: enough for a value to travel around a loop twice.</summary>
    private const int Passes = 3;

    internal const string FixedTimeEqualsProperty = "FixedTimeEquals";

    private readonly SecretFlowEngine _engine;
    private readonly TailGuardSymbols _symbols;
    private readonly IMethodSymbol? _method;
    private readonly Dictionary<ISymbol, string> _tainted;
    private readonly bool _attributeSources;
    private readonly int _depth;
    private readonly HashSet<IMethodSymbol> _visiting;
    private DiagnosticDescriptor? _boundaryRule;
    private string? _boundaryName;
    private bool _boundaryKnown;
    private bool _changed;
    private bool _collecting;

    internal TaintRun(SecretFlowEngine engine, IMethodSymbol? method, Dictionary<ISymbol, string>? initial, bool attributeSources,
        int depth, HashSet<IMethodSymbol> visiting)
    {
        _engine = engine;
        _symbols = engine.Symbols;
        _method = method;
        _tainted = initial is null
            ? new Dictionary<ISymbol, string>(SymbolEqualityComparer.Default)
            : new Dictionary<ISymbol, string>(initial, SymbolEqualityComparer.Default);
        _attributeSources = attributeSources;
        _depth = depth;
        _visiting = visiting;
    }

    internal List<SecretSink> Sinks { get; } = new();

    /// <summary>The path of the first secret that reaches a return, if any.</summary>
    internal string? ReturnPath { get; private set; }

    /// <summary>
    /// A first look: does the body touch anything that could be a source? Calls into the compilation count only when the
    /// callee returns a secret of its own (its cached summary); secret arguments need a source in this body anyway.
    /// </summary>
    internal bool HasAnySource(IOperation body)
    {
        if (_tainted.Count > 0)
        {
            return true;
        }

        foreach (var operation in body.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IFieldReferenceOperation field when IsSecret(field.Field):
                case IPropertyReferenceOperation property when IsSecret(property.Property):
                case IParameterReferenceOperation parameter when _engine.IsSecretParameter(parameter.Parameter):
                    return true;
                case IInvocationOperation { TargetMethod.ReturnsVoid: false } invocation:
                    if (TailGuardSymbols.ReturnHas(invocation.TargetMethod, _symbols.Secret))
                    {
                        return true;
                    }

                    var definition = MethodBodies.Definition(invocation.TargetMethod);
                    if (MethodBodies.IsInSource(_engine.Compilation, definition) && !IsDeclassifier(invocation.TargetMethod) &&
                        _engine.Summarize(definition, SecretFlowEngine.OwnSources, _depth - 1, _visiting, invocation.SemanticModel).ReturnPath is not null)
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    internal void Execute(IOperation body)
    {
        _collecting = false;
        for (var pass = 0; pass < Passes; pass++)
        {
            _changed = false;
            Walk(body);
            if (!_changed)
            {
                break;
            }
        }

        _collecting = true;
        Walk(body);
    }

    private void Walk(IOperation body)
    {
        foreach (var operation in body.DescendantsAndSelf())
        {
            Visit(operation);
        }
    }

    private void Visit(IOperation operation)
    {
        switch (operation)
        {
            case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                Taint(declarator.Symbol, Eval(initializer.Value));
                break;
            case ISimpleAssignmentOperation assignment:
                WriteTo(assignment.Target, Eval(assignment.Value), assignment);
                break;
            case ICompoundAssignmentOperation compound:
                WriteTo(compound.Target, Eval(compound.Value), compound);
                break;
            case ICoalesceAssignmentOperation coalesce:
                WriteTo(coalesce.Target, Eval(coalesce.Value), coalesce);
                break;
            case IForEachLoopOperation loop when Eval(loop.Collection) is { } collection:
                foreach (var local in loop.Locals)
                {
                    Taint(local, collection);
                }

                break;
            case IInvocationOperation invocation:
                Copies(invocation);
                if (_collecting)
                {
                    InvocationSinks(invocation);
                }

                break;
            case IObjectCreationOperation creation when _collecting:
                ExceptionSink(creation);
                break;
            case IReturnOperation { Kind: OperationKind.Return, ReturnedValue: { } value } @return when !IsInNestedFunction(@return):
                if (Eval(value) is { } returned)
                {
                    ReturnPath ??= returned;
                    if (_collecting && BoundaryRule is { } boundary)
                    {
                        Sinks.Add(new SecretSink(boundary, value.Syntax.GetLocation(), returned + " -> return", "the result of '" + _boundaryName + "'"));
                    }
                }

                break;
            case IInterpolatedStringOperation interpolated when _collecting:
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation hole && Eval(hole.Expression) is { } path)
                    {
                        Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, hole.Syntax.GetLocation(), path, "string interpolation"));
                    }
                }

                break;
            case IBinaryOperation binary when _collecting:
                BinarySinks(binary);
                break;
        }
    }

    private void BinarySinks(IBinaryOperation binary)
    {
        if (binary.OperatorKind == BinaryOperatorKind.Add && binary.Type?.SpecialType == SpecialType.System_String)
        {
            if (binary.Parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String })
            {
                return;
            }

            if (Eval(binary) is { } path)
            {
                Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, binary.Syntax.GetLocation(), path, "string concatenation"));
            }

            return;
        }

        if (binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals &&
            (binary.LeftOperand.Type?.SpecialType == SpecialType.System_String || binary.OperatorMethod is not null) &&
            (Eval(binary.LeftOperand) ?? Eval(binary.RightOperand)) is { } compared)
        {
            var op = binary.OperatorKind == BinaryOperatorKind.Equals ? "==" : "!=";
            Sinks.Add(new SecretSink(DiagnosticRules.VariableTimeSecretComparison, binary.Syntax.GetLocation(), compared, op));
        }
    }

    private void InvocationSinks(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (IsDeclassifier(method))
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        if (IsVariableTimeComparison(method))
        {
            if (FirstTaintedInput(invocation) is { } compared)
            {
                Sinks.Add(new SecretSink(DiagnosticRules.VariableTimeSecretComparison, location, compared, method.Name,
                    properties: CanUseFixedTimeEquals(invocation) ? ImmutableDictionary<string, string?>.Empty.Add(FixedTimeEqualsProperty, "true") : null));
            }

            return;
        }

        if (SinkOf(method) is { } sinkRule)
        {
            foreach (var argument in invocation.Arguments)
            {
                var parameter = argument.Parameter?.Name ?? "?";
                var what = sinkRule == DiagnosticRules.SecretToLog
                    ? "'" + method.ContainingType.Name + "." + method.Name + "'"
                    : "argument '" + parameter + "' of '" + method.ContainingType.Name + "." + method.Name + "'";

                // A params array is reported at the element that carries the secret.
                var values = argument is { ArgumentKind: ArgumentKind.ParamArray, Value: IArrayCreationOperation { Initializer: { } elements } }
                    ? elements.ElementValues
                    : ImmutableArray.Create(argument.Value);
                foreach (var value in values)
                {
                    if (Eval(value) is { } path)
                    {
                        Sinks.Add(new SecretSink(sinkRule, value.Syntax.GetLocation(), path + " -> '" + parameter + "'", what));
                    }
                }
            }

            return;
        }

        var definition = MethodBodies.Definition(method);
        if (MethodBodies.IsInSource(_engine.Compilation, definition))
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { } parameter || _engine.IsSecretParameter(parameter) || Eval(argument.Value) is not { } path)
                {
                    continue;
                }

                var summary = _engine.Summarize(definition, parameter.Ordinal, _depth - 1, _visiting, invocation.SemanticModel);
                foreach (var inner in summary.Sinks)
                {
                    Sinks.Add(new SecretSink(inner.Rule, argument.Syntax.GetLocation(), path + " -> " + inner.Path, inner.Sink + " in '" + method.Name + "'"));
                }
            }

            return;
        }

        if (method.ReturnType.SpecialType == SpecialType.System_String && FirstTaintedInput(invocation) is { } formatted)
        {
            Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, location, formatted, "'" + method.ContainingType.Name + "." + method.Name + "'"));
        }
    }

    private void ExceptionSink(IObjectCreationOperation creation)
    {
        if (!DerivesFrom(creation.Type, _symbols.Exception))
        {
            return;
        }

        foreach (var argument in creation.Arguments)
        {
            if (Eval(argument.Value) is { } path)
            {
                Sinks.Add(new SecretSink(DiagnosticRules.SecretInException, argument.Syntax.GetLocation(), path, creation.Type!.Name));
                return;
            }
        }
    }

    /// <summary>The rule for a call whose arguments leave the domain, reach the network or reach a log.</summary>
    private DiagnosticDescriptor? SinkOf(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return null;
        }

        if (TailGuardSymbols.Has(type, _symbols.HostCalls))
        {
            return DiagnosticRules.SecretLeavesTrustDomain;
        }

        if (TailGuardSymbols.Has(type, _symbols.R2P2Service) || SymbolEqualityComparer.Default.Equals(type, _symbols.R2P2Client) ||
            IsGeneratedClient(type))
        {
            return DiagnosticRules.SecretToNetwork;
        }

        if (SymbolEqualityComparer.Default.Equals(type, _symbols.Console) || SymbolEqualityComparer.Default.Equals(type, _symbols.Debug) ||
            SymbolEqualityComparer.Default.Equals(type, _symbols.Trace) || SymbolEqualityComparer.Default.Equals(type, _symbols.LoggerExtensions) ||
            SymbolEqualityComparer.Default.Equals(type, _symbols.Logger))
        {
            return DiagnosticRules.SecretToLog;
        }

        return null;
    }

    /// <summary>A {Name}Client emitted by the TailGuard generator: a class declared only in a generated .g.cs file.</summary>
    private static bool IsGeneratedClient(INamedTypeSymbol type)
    {
        if (!type.Name.EndsWith("Client", StringComparison.Ordinal) || type.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (!reference.SyntaxTree.FilePath.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsVariableTimeComparison(IMethodSymbol method) => method.Name switch
    {
        "SequenceEqual" or "Equals" => true,
        "Compare" or "CompareOrdinal" => method.ContainingType?.SpecialType == SpecialType.System_String,
        _ => false,
    };

    /// <summary>Both operands of a SequenceEqual are bytes (arrays or spans): FixedTimeEquals takes them as they are.</summary>
    private bool CanUseFixedTimeEquals(IInvocationOperation invocation)
    {
        if (invocation.TargetMethod.Name != "SequenceEqual")
        {
            return false;
        }

        var operands = new List<IOperation>();
        if (invocation.Instance is not null)
        {
            operands.Add(invocation.Instance);
        }

        foreach (var argument in invocation.Arguments)
        {
            operands.Add(argument.Value);
        }

        if (operands.Count != 2)
        {
            return false;
        }

        foreach (var operand in operands)
        {
            var type = operand is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand.Type : operand.Type;
            if (!IsByteSequence(type))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsByteSequence(ITypeSymbol? type) => type switch
    {
        IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte } => true,
        INamedTypeSymbol { TypeArguments.Length: 1 } named when
            (TailGuardSymbols.IsConstructedFrom(named, _symbols.Span) || TailGuardSymbols.IsConstructedFrom(named, _symbols.ReadOnlySpan)) =>
            named.TypeArguments[0].SpecialType == SpecialType.System_Byte,
        _ => false,
    };

    /// <summary>
    /// Calls outside the compilation that write their inputs into a buffer argument (CopyTo, TryCopyTo, Array.Copy,
    /// Buffer.BlockCopy, Encoding.GetBytes, BinaryPrimitives.Write*): the buffer's variable becomes tainted.
    /// </summary>
    private void Copies(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (IsDeclassifier(method) || MethodBodies.IsInSource(_engine.Compilation, MethodBodies.Definition(method)))
        {
            return;
        }

        IArgumentOperation? destination = null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter && IsDestinationParameter(parameter))
            {
                destination = argument;
                break;
            }
        }

        if (destination is null)
        {
            return;
        }

        var path = Eval(invocation.Instance);
        foreach (var argument in invocation.Arguments)
        {
            if (path is not null)
            {
                break;
            }

            if (argument != destination)
            {
                path = Eval(argument.Value);
            }
        }

        WriteTo(destination.Value, path, invocation);
    }

    private bool IsDestinationParameter(IParameterSymbol parameter)
    {
        var isBuffer = parameter.Type is IArrayTypeSymbol || TailGuardSymbols.IsConstructedFrom(parameter.Type, _symbols.Span);
        if (!isBuffer)
        {
            return false;
        }

        var name = parameter.Name;
        return name.IndexOf("dest", StringComparison.OrdinalIgnoreCase) >= 0 || name.IndexOf("dst", StringComparison.OrdinalIgnoreCase) >= 0 ||
            name is "bytes" or "buffer" or "output";
    }

    private void WriteTo(IOperation target, string? path, IOperation at)
    {
        if (path is null)
        {
            return;
        }

        switch (Root(target))
        {
            case ILocalSymbol local:
                Taint(local, path);
                break;
            case IParameterSymbol parameter:
                Taint(parameter, path);
                if (_collecting && IsOutBuffer(parameter) && BoundaryRule is { } boundary)
                {
                    Sinks.Add(new SecretSink(boundary, at.Syntax.GetLocation(), path + " -> '" + parameter.Name + "'",
                        "output buffer '" + parameter.Name + "' of '" + _boundaryName + "'"));
                }

                break;
            case IFieldSymbol or IPropertySymbol when _collecting:
                var member = Root(target)!;
                if (!IsSecret(member))
                {
                    var declaration = member.Locations.Length > 0 && member.Locations[0].IsInSource ? member.Locations[0] : null;
                    Sinks.Add(new SecretSink(DiagnosticRules.SecretToNonSecretStorage, at.Syntax.GetLocation(), path, member.Name, declaration));
                }

                break;
        }
    }

    /// <summary>
    /// TG4001 when the analyzed method implements a [TrustDomain] method, TG4002 for an [R2P2Service] method, else null.
    /// Computed on first need: most bodies never return or write a secret.
    /// </summary>
    private DiagnosticDescriptor? BoundaryRule
    {
        get
        {
            if (!_boundaryKnown && _method is not null)
            {
                if (HotPathScope.BoundaryInterfaceOf(_method, _symbols.TrustDomain) is not null)
                {
                    _boundaryRule = DiagnosticRules.SecretLeavesTrustDomain;
                }
                else if (HotPathScope.BoundaryInterfaceOf(_method, _symbols.R2P2Service) is not null)
                {
                    _boundaryRule = DiagnosticRules.SecretToNetwork;
                }

                _boundaryName = _method.ContainingType?.Name + "." + _method.Name;
            }

            _boundaryKnown = true;
            return _boundaryRule;
        }
    }

    private bool IsOutBuffer(IParameterSymbol parameter) =>
        SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method) &&
        (parameter.RefKind is RefKind.Out or RefKind.Ref || TailGuardSymbols.IsConstructedFrom(parameter.Type, _symbols.Span));

    private void Taint(ISymbol symbol, string? path)
    {
        if (path is null || _tainted.ContainsKey(symbol))
        {
            return;
        }

        _tainted[symbol] = path + " -> '" + symbol.Name + "'";
        _changed = true;
    }

    /// <summary>The variable or member a write lands in: through element access, slices, spans over arrays and conversions.</summary>
    private static ISymbol? Root(IOperation? target)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IFieldReferenceOperation field:
                if (field.Instance is { Type.IsValueType: true } instance && Root(instance) is ILocalSymbol or IParameterSymbol)
                {
                    return Root(instance);
                }

                return field.Field;
            case IPropertyReferenceOperation property:
                return property.Property.IsIndexer ? Root(property.Instance) : property.Property;
            case IArrayElementReferenceOperation element:
                return Root(element.ArrayReference);
            case IImplicitIndexerReferenceOperation indexer:
                return Root(indexer.Instance);
            case IConversionOperation conversion:
                return Root(conversion.Operand);
            case IInvocationOperation { TargetMethod.Name: "Slice" or "AsSpan" or "AsMemory" } view:
                return Root(view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null));
            case IObjectCreationOperation { Arguments.Length: > 0 } creation when creation.Type?.Name is "Span" or "Memory":
                return Root(creation.Arguments[0].Value);
            default:
                return null;
        }
    }

    /// <summary>The path of the secret <paramref name="operation"/> evaluates to, or null when it is not secret.</summary>
    private string? Eval(IOperation? operation)
    {
        switch (operation)
        {
            case null:
                return null;
            case ILocalReferenceOperation local:
                return _tainted.TryGetValue(local.Local, out var localPath) ? localPath : null;
            case IParameterReferenceOperation parameter:
                if (_tainted.TryGetValue(parameter.Parameter, out var parameterPath))
                {
                    return parameterPath;
                }

                return _attributeSources && _engine.IsSecretParameter(parameter.Parameter) ? "'" + parameter.Parameter.Name + "'" : null;
            case IFieldReferenceOperation field:
                if (_attributeSources && IsSecret(field.Field))
                {
                    return "'" + field.Field.Name + "'";
                }

                return field.Instance is { Type.IsValueType: true } ? Eval(field.Instance) : null;
            case IPropertyReferenceOperation property:
                if (_attributeSources && IsSecret(property.Property))
                {
                    return "'" + property.Property.Name + "'";
                }

                if (property.Property.IsIndexer)
                {
                    return Eval(property.Instance);
                }

                return property.Property.Name is "Length" or "Count" or "IsEmpty" or "LongLength" ? null : Eval(property.Instance);
            case IConversionOperation conversion:
                return Eval(conversion.Operand);
            case IArrayElementReferenceOperation element:
                return Eval(element.ArrayReference);
            case IImplicitIndexerReferenceOperation indexer:
                return Eval(indexer.Instance);
            case IBinaryOperation binary:
                return binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan
                    or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
                    or BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr
                    ? null
                    : Eval(binary.LeftOperand) ?? Eval(binary.RightOperand);
            case IUnaryOperation unary:
                return Eval(unary.Operand);
            case IConditionalOperation conditional:
                return Eval(conditional.WhenTrue) ?? Eval(conditional.WhenFalse);
            case ICoalesceOperation coalesce:
                return Eval(coalesce.Value) ?? Eval(coalesce.WhenNull);
            case IConditionalAccessOperation access:
                return Eval(access.Operation);
            case IAwaitOperation await:
                return Eval(await.Operation);
            case IAssignmentOperation assignment:
                return Eval(assignment.Value);
            case IInvocationOperation invocation:
                return EvalInvocation(invocation);
            case IObjectCreationOperation creation:
                foreach (var argument in creation.Arguments)
                {
                    if (Eval(argument.Value) is { } path)
                    {
                        return path;
                    }
                }

                return null;
            case IArrayCreationOperation { Initializer: { } initializer }:
                return FirstTainted(initializer.ElementValues);
            case ICollectionExpressionOperation collection:
                return FirstTainted(collection.Elements);
            case ISpreadOperation spread:
                return Eval(spread.Operand);
            case IInterpolatedStringOperation interpolated:
                foreach (var part in interpolated.Parts)
                {
                    if (part is IInterpolationOperation hole && Eval(hole.Expression) is { } path)
                    {
                        return path;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private string? FirstTainted(ImmutableArray<IOperation> operations)
    {
        foreach (var operation in operations)
        {
            if (Eval(operation) is { } path)
            {
                return path;
            }
        }

        return null;
    }

    private string? EvalInvocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.ReturnsVoid || IsDeclassifier(method))
        {
            return null;
        }

        if (_attributeSources && TailGuardSymbols.ReturnHas(method, _symbols.Secret))
        {
            return "'" + method.Name + "()'";
        }

        var definition = MethodBodies.Definition(method);
        if (MethodBodies.IsInSource(_engine.Compilation, definition))
        {
            if (_attributeSources && _engine.Summarize(definition, SecretFlowEngine.OwnSources, _depth - 1, _visiting, invocation.SemanticModel).ReturnPath is { } own)
            {
                return own + " -> '" + method.Name + "'";
            }

            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { } parameter && Eval(argument.Value) is { } path &&
                    _engine.Summarize(definition, parameter.Ordinal, _depth - 1, _visiting, invocation.SemanticModel).ReturnPath is not null)
                {
                    return path + " -> '" + method.Name + "'";
                }
            }

            return null;
        }

        // A yes/no answer about a secret (a comparison, TryX) is treated as declassified; everything else carries it.
        if (method.ReturnType.SpecialType == SpecialType.System_Boolean)
        {
            return null;
        }

        return FirstTaintedInput(invocation);
    }

    private string? FirstTaintedInput(IInvocationOperation invocation)
    {
        if (Eval(invocation.Instance) is { } receiver)
        {
            return receiver;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (Eval(argument.Value) is { } path)
            {
                return path;
            }
        }

        return null;
    }

    private bool IsSecret(ISymbol member)
    {
        if (TailGuardSymbols.Has(member, _symbols.Secret))
        {
            return true;
        }

        // [Secret] is inherited by overrides.
        for (var overridden = (member as IPropertySymbol)?.OverriddenProperty; overridden is not null; overridden = overridden.OverriddenProperty)
        {
            if (TailGuardSymbols.Has(overridden, _symbols.Secret))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsDeclassifier(IMethodSymbol method) =>
        TailGuardSymbols.Has(method, _symbols.Declassifier) || TailGuardSymbols.Has(method.OriginalDefinition, _symbols.Declassifier) ||
        (method.ReducedFrom is { } reduced && TailGuardSymbols.Has(reduced, _symbols.Declassifier));

    private static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        for (var current = type; current is not null && baseType is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInNestedFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }
}
