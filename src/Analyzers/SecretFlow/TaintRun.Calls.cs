using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// Calls: sinks (the host, the network, logs), declassifiers, variable-time comparisons, methods of the compilation
/// (through their summaries, <see cref="SecretFlowEngine.MaxDepth"/> calls deep), local functions (through what their
/// call sites pass), and library calls (a secret in, a secret out, unless the result is a bool; buffers and
/// <c>out</c> arguments they write are tainted; so is a receiver a secret is added to).
/// </summary>
internal sealed partial class TaintRun
{
    private Taint? Invocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        var receiver = Exec(invocation.Instance);
        var arguments = new List<(IParameterSymbol?, IOperation, Taint?)>(invocation.Arguments.Length);
        foreach (var argument in invocation.Arguments)
        {
            arguments.Add((argument.Parameter, argument, Exec(argument.Value)));
        }

        if (_catalog.IsDeclassifier(method))
        {
            return null;
        }

        if (_attributeSources && _catalog.ReturnsSecret(method))
        {
            return Taint.Whole("'" + method.Name + "()'");
        }

        if (SinkCatalog.IsVariableTimeComparison(method))
        {
            if (_collecting && FirstTainted(receiver, arguments) is { } compared)
            {
                Sinks.Add(new SecretSink(DiagnosticRules.VariableTimeSecretComparison, invocation.Syntax.GetLocation(), compared.Path, method.Name,
                    properties: _catalog.CanUseFixedTimeEquals(invocation) ? ImmutableDictionary<string, string?>.Empty.Add(FixedTimeEqualsProperty, "true") : null));
            }

            return null;
        }

        if (_catalog.SinkOf(method) is { } sinkRule)
        {
            if (_collecting)
            {
                ArgumentSinks(invocation, sinkRule);
            }

            return null;
        }

        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return LocalFunctionCall(method, arguments);
        }

        if (method.IsImplicitlyDeclared)
        {
            // Members the compiler writes for records: the clone behind 'with' copies the value as it is; ToString,
            // Equals and the rest read it like a library method would.
            return method.Name == "<Clone>$" ? receiver : LibraryCall(invocation, receiver, arguments);
        }

        return MethodBodies.IsInSource(_engine.Compilation, MethodBodies.Definition(method))
            ? Call(method, invocation, receiver, arguments)
            : LibraryCall(invocation, receiver, arguments);
    }

    /// <summary>Each secret argument of a sink call, at the element of a params array that carries it.</summary>
    private void ArgumentSinks(IInvocationOperation invocation, DiagnosticDescriptor sinkRule)
    {
        var method = invocation.TargetMethod;
        foreach (var argument in invocation.Arguments)
        {
            var parameter = argument.Parameter?.Name ?? "?";
            var what = sinkRule == DiagnosticRules.SecretToLog
                ? "'" + method.ContainingType.Name + "." + method.Name + "'"
                : "argument '" + parameter + "' of '" + method.ContainingType.Name + "." + method.Name + "'";
            var values = argument is { ArgumentKind: ArgumentKind.ParamArray, Value: IArrayCreationOperation { Initializer: { } elements } }
                ? elements.ElementValues
                : ImmutableArray.Create(argument.Value);
            foreach (var value in values)
            {
                // Evaluated again for the element's own path, without reporting the sinks inside it a second time.
                _collecting = false;
                var taint = Exec(value);
                _collecting = true;
                if (taint is not null)
                {
                    Sinks.Add(new SecretSink(sinkRule, value.Syntax.GetLocation(), taint.Path + " -> '" + parameter + "'", what));
                }
            }
        }
    }

    /// <summary>True for a method whose code is in this compilation and that the analysis may still enter.</summary>
    private bool IsFollowed(IMethodSymbol? method) =>
        method is not null && _calleeLevels > 0 && method.MethodKind != MethodKind.LocalFunction && !_catalog.IsDeclassifier(method) &&
        MethodBodies.IsInSource(_engine.Compilation, MethodBodies.Definition(method));

    /// <summary>
    /// A call of a method of the compilation: its own secrets it returns, what it returns of each secret argument, and,
    /// in the final pass, the sinks a secret argument reaches inside it (reported at the argument, with the path).
    /// </summary>
    private Taint? Call(IMethodSymbol method, IOperation site, Taint? receiver, List<(IParameterSymbol? Parameter, IOperation Syntax, Taint? Taint)> arguments)
    {
        if (!IsFollowed(method))
        {
            // Beyond the depth (or a declassifier): nothing flows through. A library operator or conversion: its inputs do.
            if (_catalog.IsDeclassifier(method) || MethodBodies.IsInSource(_engine.Compilation, MethodBodies.Definition(method)))
            {
                return null;
            }

            Taint? joined = null;
            foreach (var (_, _, taint) in arguments)
            {
                joined = Taint.Join(joined, taint);
            }

            return method.ReturnsVoid || method.ReturnType.SpecialType == SpecialType.System_Boolean ? null : joined?.Collapse();
        }

        var definition = MethodBodies.Definition(method);
        var name = "'" + InvokedMethods.Describe(method) + "'";
        Taint? result = null;
        if (_attributeSources && !definition.ReturnsVoid &&
            _engine.Summarize(definition, SecretFlowEngine.OwnSources, _calleeLevels, _visiting, site.SemanticModel).Return is { } own)
        {
            result = own.Through(name);
        }

        foreach (var (parameter, syntax, taint) in arguments)
        {
            if (parameter is null || taint is null || parameter.ContainingSymbol is not IMethodSymbol owner ||
                !SymbolEqualityComparer.Default.Equals(MethodBodies.Definition(owner), definition))
            {
                continue;
            }

            var summary = _engine.Summarize(definition, parameter.Ordinal, _calleeLevels, _visiting, site.SemanticModel);
            if (summary.Return is { } returned)
            {
                result = Taint.Join(result, returned.Relabel(taint.Path + " -> " + name));
            }

            if (_collecting && !_engine.IsSecretParameter(parameter))
            {
                foreach (var inner in summary.Sinks)
                {
                    Sinks.Add(new SecretSink(inner.Rule, syntax.Syntax.GetLocation(), taint.Path + " -> " + inner.Path, inner.Sink + " in " + name));
                }
            }
        }

        // What a method of the compilation does with 'this' is not summarized: called on a wholly secret object, its
        // result is taken to be secret (a bool or nothing excepted).
        if (result is null && receiver?.WholePath is { } receiverPath && !definition.ReturnsVoid &&
            definition.ReturnType.SpecialType != SpecialType.System_Boolean && definition.MethodKind == MethodKind.Ordinary)
        {
            result = Taint.Whole(receiverPath + " -> " + name);
        }

        return result;
    }

    /// <summary>A local function gets what its call sites pass (its parameters, joined) and returns what its returns carry.</summary>
    private Taint? LocalFunctionCall(IMethodSymbol function, List<(IParameterSymbol? Parameter, IOperation Syntax, Taint? Taint)> arguments)
    {
        function = function.OriginalDefinition;
        foreach (var (parameter, _, taint) in arguments)
        {
            if (parameter is null || taint is null)
            {
                continue;
            }

            var key = (function, parameter.Ordinal);
            var before = _localFunctionArguments.TryGetValue(key, out var known) ? known : null;
            var joined = Taint.Join(before, taint)!;
            if (!Equals(before, joined))
            {
                _localFunctionArguments[key] = joined;
                _nestedChanged = true;
            }
        }

        return _localFunctionReturns.TryGetValue(function, out var returned) ? returned.Through("'" + function.Name + "'") : null;
    }

    /// <summary>
    /// A library call: buffers it writes (destination-like span and array parameters) and <c>out</c>/<c>ref</c>
    /// arguments receive its secret inputs; so does its receiver when a secret is passed to it (a collection it is added
    /// to, a hash it is appended to); its result carries its secret inputs unless it is a bool (a yes/no answer about a
    /// secret is treated as declassified). A string made from a secret is TG4005.
    /// </summary>
    private Taint? LibraryCall(IInvocationOperation invocation, Taint? receiver, List<(IParameterSymbol? Parameter, IOperation Syntax, Taint? Taint)> arguments)
    {
        var method = invocation.TargetMethod;
        IOperation? destination = null;
        Taint? inputs = receiver;
        Taint? argumentInputs = null;
        for (var i = 0; i < arguments.Count; i++)
        {
            var (parameter, _, taint) = arguments[i];
            if (destination is null && parameter is not null && _catalog.IsDestinationParameter(parameter))
            {
                destination = invocation.Arguments[i].Value;
                continue;
            }

            if (parameter?.RefKind is RefKind.Out)
            {
                continue;
            }

            argumentInputs = Taint.Join(argumentInputs, taint);
        }

        inputs = Taint.Join(inputs, argumentInputs);
        if (inputs is null)
        {
            // Nothing secret goes in; out arguments are overwritten with public values.
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.RefKind is RefKind.Out)
                {
                    Write(argument.Value, null, invocation);
                }
            }

            return null;
        }

        var collapsed = inputs.Collapse();
        if (destination is not null)
        {
            ElementWrite(destination, collapsed, invocation);
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is RefKind.Out)
            {
                Write(argument.Value, collapsed, invocation);
            }
            else if (argument.Parameter?.RefKind is RefKind.Ref && argument.Value != destination)
            {
                ElementWrite(argument.Value, collapsed, invocation);
            }
        }

        if (argumentInputs is not null && invocation.Instance is { } instance && destination is null && StoresArguments(method))
        {
            // list.Add(secret), hash.AppendData(secret), builder.Append(secret): the receiver now holds it.
            ElementWrite(instance, argumentInputs.Collapse(), invocation);
        }

        if (method.ReturnsVoid || method.ReturnType.SpecialType == SpecialType.System_Boolean)
        {
            return null;
        }

        if (_collecting && method.ReturnType.SpecialType == SpecialType.System_String)
        {
            Sinks.Add(new SecretSink(DiagnosticRules.SecretToString, invocation.Syntax.GetLocation(), collapsed.Path,
                "'" + method.ContainingType.Name + "." + method.Name + "'"));
        }

        return collapsed;
    }

    /// <summary>Library methods named for keeping what they are given (Add, Append, Insert, Push, Enqueue, Write, Set...).</summary>
    private static bool StoresArguments(IMethodSymbol method)
    {
        foreach (var prefix in StoringPrefixes)
        {
            if (method.Name.StartsWith(prefix, System.StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly string[] StoringPrefixes =
        ["Add", "TryAdd", "Append", "Prepend", "Insert", "Push", "Enqueue", "Write", "Set", "Update", "Put", "Store", "Transform", "Initialize"];

    private static Taint? FirstTainted(Taint? receiver, List<(IParameterSymbol?, IOperation, Taint? Taint)> arguments)
    {
        if (receiver is not null)
        {
            return receiver;
        }

        foreach (var (_, _, taint) in arguments)
        {
            if (taint is not null)
            {
                return taint;
            }
        }

        return null;
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
                if (HotPathScope.BoundaryInterfaceOf(_method, _engine.Symbols.TrustDomain) is not null)
                {
                    _boundaryRule = DiagnosticRules.SecretLeavesTrustDomain;
                }
                else if (HotPathScope.BoundaryInterfaceOf(_method, _engine.Symbols.R2P2Service) is not null)
                {
                    _boundaryRule = DiagnosticRules.SecretToNetwork;
                }

                _boundaryName = _method.ContainingType?.Name + "." + _method.Name;
            }

            _boundaryKnown = true;
            return _boundaryRule;
        }
    }
}
