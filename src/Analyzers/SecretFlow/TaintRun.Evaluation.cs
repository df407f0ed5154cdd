using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The transfer function: runs one operation in evaluation order against the current state, applies its writes
/// (assignments, deconstructions, patterns, buffer copies) and, in the final pass, reports the sinks it reaches.
/// Returns what of the operation's value is secret.
/// </summary>
internal sealed partial class TaintRun
{
    private Taint? Exec(IOperation? operation)
    {
        switch (operation)
        {
            case null:
                return null;
            case IExpressionStatementOperation statement:
                Exec(statement.Operation);
                return null;
            case IFlowCaptureOperation capture:
                _state.Set(capture.Id, Exec(capture.Value));
                return null;
            case IFlowCaptureReferenceOperation capture:
                return _state.Get(capture.Id);
            case ILocalReferenceOperation local:
                return _state.Get(local.Local);
            case IParameterReferenceOperation parameter:
                return _state.Get(parameter.Parameter) ?? CapturedSource(parameter.Parameter);
            case IFieldReferenceOperation field:
                return ReadMember(field.Instance, field.Field);
            case IPropertyReferenceOperation property:
                return ReadProperty(property);
            case IArrayElementReferenceOperation element:
                ExecAll(element.Indices);
                return Exec(element.ArrayReference)?.Collapse();
            case IImplicitIndexerReferenceOperation indexer:
                Exec(indexer.Argument);
                return Exec(indexer.Instance)?.Collapse();
            case IConversionOperation { OperatorMethod: { } conversionOperator } conversion:
                return Call(conversionOperator, conversion, receiver: null, Single(conversionOperator, conversion.Operand));
            case IConversionOperation conversion:
                return Exec(conversion.Operand);
            case ISimpleAssignmentOperation assignment:
                return Assignment(assignment);
            case ICompoundAssignmentOperation compound:
                return WriteBack(compound.Target, compound.OperatorMethod is { } compoundOperator
                    ? Call(compoundOperator, compound, receiver: null, Pair(compoundOperator, compound.Target, compound.Value))
                    : Taint.Join(Exec(compound.Target), Exec(compound.Value))?.Collapse(), compound);
            case ICoalesceAssignmentOperation coalesce:
                return WriteBack(coalesce.Target, Taint.Join(Exec(coalesce.Target), Exec(coalesce.Value)), coalesce);
            case IIncrementOrDecrementOperation increment:
                return Exec(increment.Target);
            case IDeconstructionAssignmentOperation deconstruction:
            {
                var value = Exec(deconstruction.Value);
                Deconstruct(deconstruction.Target, value, deconstruction.Value.Type, deconstruction);
                return value;
            }

            case IDeclarationExpressionOperation declaration:
                return Exec(declaration.Expression);
            case ITupleOperation tuple:
            {
                var members = ImmutableSortedDictionary.Create<string, Taint>(System.StringComparer.Ordinal);
                for (var i = 0; i < tuple.Elements.Length; i++)
                {
                    if (Exec(tuple.Elements[i]) is { } element)
                    {
                        members = members.Add("Item" + (i + 1), element);
                    }
                }

                return Taint.OfMembers(members);
            }

            case IObjectCreationOperation creation:
                return Creation(creation);
            case IAnonymousObjectCreationOperation anonymous:
                return Initialized(null, anonymous.Initializers);
            case IWithOperation with:
                return Initialized(Exec(with.Operand), with.Initializer.Initializers);
            case IArrayCreationOperation array:
                ExecAll(array.DimensionSizes);
                return Exec(array.Initializer)?.Collapse();
            case IArrayInitializerOperation initializer:
                return JoinAll(initializer.ElementValues);
            case ICollectionExpressionOperation collection:
                return JoinAll(collection.Elements)?.Collapse();
            case ISpreadOperation spread:
                return Exec(spread.Operand)?.Collapse();
            case IBinaryOperation binary:
                return Binary(binary);
            case IUnaryOperation { OperatorMethod: { } unaryOperator } unary:
                return Call(unaryOperator, unary, receiver: null, Single(unaryOperator, unary.Operand));
            case IUnaryOperation unary:
                return Exec(unary.Operand)?.Collapse();
            case IConditionalOperation conditional:
                Exec(conditional.Condition);
                return Taint.Join(Exec(conditional.WhenTrue), Exec(conditional.WhenFalse));
            case ICoalesceOperation coalesce:
                return Taint.Join(Exec(coalesce.Value), Exec(coalesce.WhenNull));
            case IConditionalAccessOperation access:
            {
                _conditionalInstances.Push(Exec(access.Operation));
                var value = Exec(access.WhenNotNull);
                _conditionalInstances.Pop();
                return value;
            }

            case IConditionalAccessInstanceOperation:
                return _conditionalInstances.Count > 0 ? _conditionalInstances.Peek() : null;
            case IAwaitOperation await:
                return Exec(await.Operation);
            case IInvocationOperation invocation:
                return Invocation(invocation);
            case IInterpolatedStringOperation interpolated:
                return Interpolation(interpolated);
            case IIsPatternOperation isPattern:
                BindPattern(isPattern.Pattern, Exec(isPattern.Value));
                return null;
            case ISwitchExpressionOperation switchExpression:
            {
                var value = Exec(switchExpression.Value);
                Taint? result = null;
                foreach (var arm in switchExpression.Arms)
                {
                    BindPattern(arm.Pattern, value);
                    Exec(arm.Guard);
                    result = Taint.Join(result, Exec(arm.Value));
                }

                return result;
            }

            case IIsNullOperation isNull:
                Exec(isNull.Operand);
                return null;
            case IFlowAnonymousFunctionOperation function:
                AddNested(_run.Graph.GetAnonymousFunctionControlFlowGraph(function), function.Symbol);
                return null;
            case IDelegateCreationOperation @delegate:
                Exec(@delegate.Target);
                return null;
            case IArgumentOperation argument:
                return Exec(argument.Value);
            case ILiteralOperation or IDefaultValueOperation or ITypeOfOperation or ISizeOfOperation or INameOfOperation or
                IInstanceReferenceOperation or ICaughtExceptionOperation or IAnonymousFunctionOperation:
                return null;
            default:
                foreach (var child in operation.ChildOperations)
                {
                    Exec(child);
                }

                return null;
        }
    }

    private void ExecAll(ImmutableArray<IOperation> operations)
    {
        foreach (var operation in operations)
        {
            Exec(operation);
        }
    }

    private Taint? JoinAll(ImmutableArray<IOperation> operations)
    {
        Taint? joined = null;
        foreach (var operation in operations)
        {
            joined = Taint.Join(joined, Exec(operation));
        }

        return joined;
    }

    // ---- reads ----

    private Taint? ReadMember(IOperation? instance, ISymbol member)
    {
        var owner = Exec(instance);
        if (_attributeSources && _catalog.IsSecret(member))
        {
            return Taint.Whole("'" + member.Name + "'");
        }

        return owner?.Member(MemberName(member));
    }

    /// <summary>
    /// A [Secret] primary-constructor parameter read by the type's members (or its initializers) is kept in a hidden
    /// field: like a [Secret] field, it is a source at every read, whatever the method wrote to it before.
    /// </summary>
    private Taint? CapturedSource(IParameterSymbol parameter) =>
        _attributeSources && _catalog.IsSecretPrimaryConstructorParameter(parameter) ? Taint.Whole("'" + parameter.Name + "'") : null;

    private Taint? ReadProperty(IPropertyReferenceOperation property)
    {
        var symbol = property.Property;
        if (_attributeSources && _catalog.IsSecret(symbol))
        {
            Exec(property.Instance);
            ExecAll(ArgumentValues(property.Arguments));
            return Taint.Whole("'" + symbol.Name + "'");
        }

        // How long a secret is, or whether it is empty, is not itself secret.
        if (!symbol.IsIndexer && symbol.Name is "Length" or "Count" or "IsEmpty" or "LongLength")
        {
            Exec(property.Instance);
            return null;
        }

        if (HasCode(symbol.GetMethod) && IsFollowed(symbol.GetMethod) && !IsWrite(property))
        {
            var arguments = AccessorArguments(symbol.GetMethod!, property.Arguments);
            var receiver = Exec(property.Instance);
            var returned = Call(symbol.GetMethod!, property, receiver, arguments);
            return symbol.IsIndexer ? Taint.Join(returned, receiver?.Collapse()) : Taint.Join(returned, receiver?.Member(symbol.Name));
        }

        var instance = Exec(property.Instance);
        ExecAll(ArgumentValues(property.Arguments));
        return symbol.IsIndexer ? instance?.Collapse() : instance?.Member(symbol.Name);
    }

    /// <summary>
    /// An indexer's arguments as arguments of the accessor that runs: the binder gives the indexer's own parameters,
    /// the accessor's summary is keyed by its parameters (same ordinals).
    /// </summary>
    private List<(IParameterSymbol?, IOperation, Taint?)> AccessorArguments(IMethodSymbol accessor, ImmutableArray<IArgumentOperation> arguments)
    {
        var list = new List<(IParameterSymbol?, IOperation, Taint?)>(arguments.Length + 1);
        foreach (var argument in arguments)
        {
            var parameter = argument.Parameter is { } indexerParameter && indexerParameter.Ordinal < accessor.Parameters.Length
                ? accessor.Parameters[indexerParameter.Ordinal]
                : null;
            list.Add((parameter, argument, Exec(argument.Value)));
        }

        return list;
    }

    /// <summary>An accessor with a body of its own; auto-property and record accessors act like fields.</summary>
    private static bool HasCode(IMethodSymbol? accessor)
    {
        if (accessor is null || accessor.IsImplicitlyDeclared)
        {
            return false;
        }

        foreach (var reference in accessor.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is Microsoft.CodeAnalysis.CSharp.Syntax.AccessorDeclarationSyntax { Body: null, ExpressionBody: null } or
                Microsoft.CodeAnalysis.CSharp.Syntax.ParameterSyntax)
            {
                return false;
            }
        }

        return accessor.DeclaringSyntaxReferences.Length > 0;
    }

    private static bool IsWrite(IPropertyReferenceOperation property) =>
        property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property;

    private static ImmutableArray<IOperation> ArgumentValues(ImmutableArray<IArgumentOperation> arguments)
    {
        var values = ImmutableArray.CreateBuilder<IOperation>(arguments.Length);
        foreach (var argument in arguments)
        {
            values.Add(argument.Value);
        }

        return values.MoveToImmutable();
    }

    /// <summary>The key of a member in a <see cref="Taint"/>: its name, or Item1, Item2... for tuple elements.</summary>
    private static string MemberName(ISymbol member) =>
        member is IFieldSymbol { CorrespondingTupleField: { } tupleField } ? tupleField.Name : member.Name;

    // ---- writes ----

    private Taint? Assignment(ISimpleAssignmentOperation assignment)
    {
        // A property with a setter of the compilation runs that setter: its summary says where the value goes.
        if (assignment.Target is IPropertyReferenceOperation { Property.SetMethod: { } setter } property && HasCode(setter) && IsFollowed(setter))
        {
            var receiver = Exec(property.Instance);
            var arguments = AccessorArguments(setter, property.Arguments);
            var assigned = Exec(assignment.Value);
            arguments.Add((setter.Parameters.Length > 0 ? setter.Parameters[setter.Parameters.Length - 1] : null, assignment.Value, assigned));
            Call(setter, assignment, receiver, arguments);
            return assigned;
        }

        var value = Exec(assignment.Value);
        Write(assignment.Target, value, assignment);
        return value;
    }

    /// <summary>
    /// A strong update of a local or parameter, except for what a lambda or local function writes into it: that may
    /// happen at any call of the function, so it is never cleared.
    /// </summary>
    private void SetVariable(ISymbol variable, Taint? value) => _state.Set(variable, Taint.Join(value, _sticky.Get(variable)));

    private Taint? WriteBack(IOperation target, Taint? value, IOperation at)
    {
        Write(target, value, at);
        return value;
    }

    /// <summary>Applies a write of <paramref name="value"/> to <paramref name="target"/>.</summary>
    private void Write(IOperation target, Taint? value, IOperation at)
    {
        switch (target)
        {
            case IConversionOperation conversion:
                Write(conversion.Operand, value, at);
                return;
            case ILocalReferenceOperation local:
                SetVariable(local.Local, value?.Into(local.Local.Name));
                return;
            case IParameterReferenceOperation parameter:
                SetVariable(parameter.Parameter, value?.Into(parameter.Parameter.Name));
                if (value is not null && parameter.Parameter.RefKind is RefKind.Out or RefKind.Ref)
                {
                    OutputSink(parameter.Parameter, value, at);
                }

                return;
            case IFlowCaptureReferenceOperation capture:
                _state.Set(capture.Id, value);
                return;
            case IDeclarationExpressionOperation declaration:
                Write(declaration.Expression, value, at);
                return;
            case ITupleOperation tuple:
                Deconstruct(tuple, value, tuple.Type, at);
                return;
            case IFieldReferenceOperation field:
                MemberWrite(field.Instance, field.Field, value, at);
                return;
            case IPropertyReferenceOperation { Property.IsIndexer: false } property:
                MemberWrite(property.Instance, property.Property, value, at);
                return;
            case IPropertyReferenceOperation indexer:
                ExecAll(ArgumentValues(indexer.Arguments));
                ElementWrite(indexer.Instance, value, at);
                return;
            case IArrayElementReferenceOperation element:
                ExecAll(element.Indices);
                ElementWrite(element.ArrayReference, value, at);
                return;
            case IImplicitIndexerReferenceOperation indexer:
                Exec(indexer.Argument);
                ElementWrite(indexer.Instance, value, at);
                return;
        }
    }

    /// <summary>
    /// <c>x.Member = value</c>: part of <c>x</c> when <c>x</c> is a struct the method holds or an object it created
    /// (its other references see it too); otherwise a store into storage that outlives the method (TG4006 unless the
    /// member is [Secret]).
    /// </summary>
    private void MemberWrite(IOperation? instance, ISymbol member, Taint? value, IOperation at)
    {
        if (_catalog.IsSecret(member))
        {
            Exec(instance);
            return;
        }

        if (OwnedVariable(instance, out var path) is { } variable)
        {
            path.Add(MemberName(member));
            _state.Set(variable, WithMemberPath(_state.Get(variable), path, 0, value));
            foreach (var alias in _run.Aliases.AliasesOf(variable))
            {
                _state.Set(alias, Taint.Join(_state.Get(alias), WithMemberPath(null, path, 0, value)));
            }

            return;
        }

        Exec(instance);
        if (_collecting && value is not null)
        {
            var declaration = member.Locations.Length > 0 && member.Locations[0].IsInSource ? member.Locations[0] : null;
            Sinks.Add(new SecretSink(DiagnosticRules.SecretToNonSecretStorage, at.Syntax.GetLocation(), value.Path, member.Name, declaration));
        }
    }

    /// <summary>
    /// The variable a member access chain starts at (<c>k</c> in <c>k.A.B</c>, with the path [A]) when the method owns
    /// what it refers to: a struct local, a struct parameter passed by value, or a local or temporary that only ever
    /// holds objects the method created.
    /// </summary>
    private object? OwnedVariable(IOperation? instance, out List<string> path)
    {
        path = new List<string>();
        while (true)
        {
            switch (instance)
            {
                case IFieldReferenceOperation field:
                    path.Insert(0, MemberName(field.Field));
                    instance = field.Instance;
                    continue;
                case IPropertyReferenceOperation { Property.IsIndexer: false } property:
                    path.Insert(0, property.Property.Name);
                    instance = property.Instance;
                    continue;
                case IConversionOperation { OperatorMethod: null } conversion:
                    instance = conversion.Operand;
                    continue;
            }

            break;
        }

        var variable = AliasSets.Variable(instance);
        var owned = variable switch
        {
            ILocalSymbol local => local.Type.IsValueType || _run.Aliases.HoldsOnlyFreshObjects(local),
            IParameterSymbol parameter => parameter.RefKind == RefKind.None && parameter.Type.IsValueType,
            CaptureId => instance!.Type?.IsValueType == true || _run.Aliases.HoldsOnlyFreshObjects(variable),
            _ => false,
        };
        return owned ? variable : null;
    }

    private static Taint? WithMemberPath(Taint? value, List<string> path, int index, Taint? member) =>
        index == path.Count - 1
            ? Taint.WithMember(value, path[index], member)
            : Taint.WithMember(value, path[index], WithMemberPath(value?.Member(path[index]), path, index + 1, member));

    /// <summary>
    /// A write into an element or a buffer (<c>buffer[i] = v</c>, a copy into <c>buffer</c>): adds to what the buffer
    /// and every variable that may refer to the same buffer hold; for the method's output buffers it is a boundary sink;
    /// for a field it is a store (TG4006).
    /// </summary>
    private void ElementWrite(IOperation? buffer, Taint? value, IOperation at)
    {
        var root = BufferRoot(buffer);
        if (value is null)
        {
            Exec(buffer);
            return;
        }

        var element = value.Collapse();
        switch (root)
        {
            case IFieldSymbol or IPropertySymbol when !_catalog.IsSecret(root):
                if (_collecting)
                {
                    var declaration = root.Locations.Length > 0 && root.Locations[0].IsInSource ? root.Locations[0] : null;
                    Sinks.Add(new SecretSink(DiagnosticRules.SecretToNonSecretStorage, at.Syntax.GetLocation(), element.Path, root.Name, declaration));
                }

                return;
            case null:
                if (AliasSets.Variable(buffer) is { } variable)
                {
                    AddToBuffer(variable, element, at);
                }

                return;
            case ILocalSymbol or IParameterSymbol:
                AddToBuffer(root, element, at);
                return;
        }
    }

    private void AddToBuffer(object variable, Taint element, IOperation at)
    {
        _state.Add(variable, element.Into(Name(variable)));
        if (variable is IParameterSymbol parameter)
        {
            OutputSink(parameter, element, at);
        }

        foreach (var alias in _run.Aliases.AliasesOf(variable))
        {
            _state.Add(alias, element.Into(Name(alias)));
            if (alias is IParameterSymbol aliasedParameter)
            {
                OutputSink(aliasedParameter, element, at);
            }
        }
    }

    private static string Name(object variable) => variable is ISymbol symbol ? symbol.Name : "temporary";

    /// <summary>TG4001/TG4002 when a secret is written into an output buffer (a span, ref or out parameter) of a boundary method.</summary>
    private void OutputSink(IParameterSymbol parameter, Taint value, IOperation at)
    {
        if (!_collecting || !SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, _method) ||
            !(parameter.RefKind is RefKind.Out or RefKind.Ref || _catalog.IsSpan(parameter.Type)) || BoundaryRule is not { } boundary)
        {
            return;
        }

        Sinks.Add(new SecretSink(boundary, at.Syntax.GetLocation(), value.Path + " -> '" + parameter.Name + "'",
            "output buffer '" + parameter.Name + "' of '" + _boundaryName + "'"));
    }

    /// <summary>The variable or member a write into a buffer lands in: through elements, slices, spans over arrays and conversions.</summary>
    private static ISymbol? BufferRoot(IOperation? target)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                return local.Local;
            case IParameterReferenceOperation parameter:
                return parameter.Parameter;
            case IFieldReferenceOperation field:
                if (field.Instance is { Type.IsValueType: true } instance && BufferRoot(instance) is ILocalSymbol or IParameterSymbol)
                {
                    return BufferRoot(instance);
                }

                return field.Field;
            case IPropertyReferenceOperation property:
                return property.Property.IsIndexer ? BufferRoot(property.Instance) : property.Property;
            case IArrayElementReferenceOperation element:
                return BufferRoot(element.ArrayReference);
            case IImplicitIndexerReferenceOperation indexer:
                return BufferRoot(indexer.Instance);
            case IConversionOperation conversion:
                return BufferRoot(conversion.Operand);
            case IInvocationOperation { TargetMethod.Name: "Slice" or "AsSpan" or "AsMemory" } view:
                return BufferRoot(view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null));
            case IObjectCreationOperation { Arguments.Length: > 0 } creation when creation.Type?.Name is "Span" or "Memory" or "ReadOnlySpan" or "ReadOnlyMemory":
                return BufferRoot(creation.Arguments[0].Value);
            default:
                return null;
        }
    }

    /// <summary><c>(a, b) = value</c>: element i of the target gets element i of the value (ItemN, or a record's positional property).</summary>
    private void Deconstruct(IOperation target, Taint? value, ITypeSymbol? valueType, IOperation at)
    {
        if (target is IDeclarationExpressionOperation declaration)
        {
            target = declaration.Expression;
        }

        if (target is not ITupleOperation tuple)
        {
            Write(target, value, at);
            return;
        }

        var positional = PositionalMembers(valueType);
        for (var i = 0; i < tuple.Elements.Length; i++)
        {
            var name = valueType?.IsTupleType == true ? "Item" + (i + 1) : positional is not null && i < positional.Length ? positional[i] : null;
            var element = name is null ? value?.Collapse() : value?.Member(name);
            var elementType = valueType?.IsTupleType == true && valueType is INamedTypeSymbol named && i < named.TupleElements.Length
                ? named.TupleElements[i].Type
                : null;
            if (tuple.Elements[i] is ITupleOperation or IDeclarationExpressionOperation)
            {
                Deconstruct(tuple.Elements[i], element, elementType, at);
            }
            else
            {
                Write(tuple.Elements[i], element, at);
            }
        }
    }

    /// <summary>The positional property names of a record (its primary constructor's parameters), or null.</summary>
    private static string[]? PositionalMembers(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { IsRecord: true } record)
        {
            return null;
        }

        foreach (var constructor in record.InstanceConstructors)
        {
            if (MethodBodies.IsPrimaryConstructor(constructor))
            {
                var names = new string[constructor.Parameters.Length];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = constructor.Parameters[i].Name;
                }

                return names;
            }
        }

        return null;
    }

    private void BindPattern(IPatternOperation? pattern, Taint? value)
    {
        switch (pattern)
        {
            case IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local }:
                SetVariable(local, value?.Into(local.Name));
                break;
            case IRecursivePatternOperation recursive:
                if (recursive.DeclaredSymbol is ILocalSymbol declared)
                {
                    _state.Set(declared, value?.Into(declared.Name));
                }

                var positional = PositionalMembers(recursive.InputType);
                for (var i = 0; i < recursive.DeconstructionSubpatterns.Length; i++)
                {
                    var name = recursive.InputType.IsTupleType ? "Item" + (i + 1) : positional is not null && i < positional.Length ? positional[i] : null;
                    BindPattern(recursive.DeconstructionSubpatterns[i], name is null ? value?.Collapse() : value?.Member(name));
                }

                foreach (var subpattern in recursive.PropertySubpatterns)
                {
                    var member = subpattern.Member switch
                    {
                        IFieldReferenceOperation field => MemberName(field.Field),
                        IPropertyReferenceOperation property => property.Property.Name,
                        _ => null,
                    };
                    BindPattern(subpattern.Pattern, member is null ? value?.Collapse() : value?.Member(member));
                }

                break;
            case IBinaryPatternOperation binary:
                BindPattern(binary.LeftPattern, value);
                BindPattern(binary.RightPattern, value);
                break;
            case INegatedPatternOperation negated:
                BindPattern(negated.Pattern, value);
                break;
            case IListPatternOperation list:
                if (list.DeclaredSymbol is ILocalSymbol listLocal)
                {
                    _state.Set(listLocal, value?.Into(listLocal.Name));
                }

                foreach (var element in list.Patterns)
                {
                    BindPattern(element, value?.Collapse());
                }

                break;
            case ISlicePatternOperation slice:
                BindPattern(slice.Pattern, value?.Collapse());
                break;
        }
    }

    // ---- values built from parts ----

    private Taint? Creation(IObjectCreationOperation creation)
    {
        var arguments = new List<(IParameterSymbol?, IOperation, Taint?)>();
        foreach (var argument in creation.Arguments)
        {
            arguments.Add((argument.Parameter, argument, Exec(argument.Value)));
        }

        if (_collecting && _catalog.IsException(creation.Type))
        {
            foreach (var (_, argument, taint) in arguments)
            {
                if (taint is not null)
                {
                    Sinks.Add(new SecretSink(DiagnosticRules.SecretInException, argument.Syntax.GetLocation(), taint.Path, creation.Type!.Name));
                    break;
                }
            }
        }

        Taint? created;
        if (creation.Constructor is { } constructor && PositionalMembers(creation.Type) is { } positional &&
            constructor.Parameters.Length == positional.Length && MethodBodies.IsPrimaryConstructor(constructor))
        {
            // A record's primary constructor: each argument becomes the positional property of the same name.
            var members = ImmutableSortedDictionary.Create<string, Taint>(System.StringComparer.Ordinal);
            foreach (var (parameter, _, taint) in arguments)
            {
                if (parameter is not null && taint is not null)
                {
                    members = members.SetItem(parameter.Name, taint);
                }
            }

            created = Taint.OfMembers(members);
        }
        else
        {
            if (creation.Constructor is { } followed && IsFollowed(followed))
            {
                Call(followed, creation, receiver: null, arguments);
            }

            Taint? joined = null;
            foreach (var (_, _, taint) in arguments)
            {
                joined = Taint.Join(joined, taint);
            }

            created = joined?.Collapse();
        }

        return creation.Initializer is { } initializer ? Initialized(created, initializer.Initializers) : created;
    }

    /// <summary>Object and 'with' initializers (in the tree form; the control-flow graph lowers them to assignments).</summary>
    private Taint? Initialized(Taint? value, ImmutableArray<IOperation> initializers)
    {
        foreach (var initializer in initializers)
        {
            switch (initializer)
            {
                case ISimpleAssignmentOperation { Target: IMemberReferenceOperation member } assignment:
                    value = Taint.WithMember(value, MemberName(member.Member), Exec(assignment.Value));
                    break;
                default:
                    value = Taint.Join(value, Exec(initializer)?.Collapse());
                    break;
            }
        }

        return value;
    }

    private Taint? Binary(IBinaryOperation binary)
    {
        if (binary.OperatorMethod is { } binaryOperator && IsFollowed(binaryOperator))
        {
            return Call(binaryOperator, binary, receiver: null, Pair(binaryOperator, binary.LeftOperand, binary.RightOperand));
        }

        var left = Exec(binary.LeftOperand);
        var right = Exec(binary.RightOperand);
        switch (binary.OperatorKind)
        {
            case BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals:
                if (_collecting && (binary.LeftOperand.Type?.SpecialType == SpecialType.System_String || binary.OperatorMethod is not null) &&
                    (left ?? right) is { } compared)
                {
                    var op = binary.OperatorKind == BinaryOperatorKind.Equals ? "==" : "!=";
                    Sinks.Add(new SecretSink(DiagnosticRules.VariableTimeSecretComparison, binary.Syntax.GetLocation(), compared.Path, op));
                }

                return null;
            case BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or
                BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr:
                return null;
        }

        var joined = Taint.Join(left, right)?.Collapse();
        if (_collecting && joined is not null && binary.OperatorKind == BinaryOperatorKind.Add && binary.Type?.SpecialType == SpecialType.System_String &&
            binary.Parent is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Add, Type.SpecialType: SpecialType.System_String })
        {
            Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, binary.Syntax.GetLocation(), joined.Path, "string concatenation"));
        }

        return joined;
    }

    private Taint? Interpolation(IInterpolatedStringOperation interpolated)
    {
        Taint? joined = null;
        foreach (var part in interpolated.Parts)
        {
            if (part is not IInterpolationOperation hole)
            {
                continue;
            }

            var value = Exec(hole.Expression);
            Exec(hole.Alignment);
            Exec(hole.FormatString);
            if (value is not null)
            {
                joined = Taint.Join(joined, value);
                if (_collecting)
                {
                    Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, hole.Syntax.GetLocation(), value.Path, "string interpolation"));
                }
            }
        }

        return joined?.Collapse();
    }

    private List<(IParameterSymbol?, IOperation, Taint?)> Single(IMethodSymbol method, IOperation operand) =>
        new() { (method.Parameters.Length > 0 ? method.Parameters[0] : null, operand, Exec(operand)) };

    private List<(IParameterSymbol?, IOperation, Taint?)> Pair(IMethodSymbol method, IOperation left, IOperation right) =>
        new()
        {
            (method.Parameters.Length > 0 ? method.Parameters[0] : null, left, Exec(left)),
            (method.Parameters.Length > 1 ? method.Parameters[1] : null, right, Exec(right)),
        };
}
