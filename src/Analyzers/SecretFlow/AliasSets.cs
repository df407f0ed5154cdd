using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// Which variables of one control-flow graph may refer to the same array, span, memory or object, and which hold only
/// objects the method created itself. Built in one pass over the graph before the fixed point:
/// <c>var view = buffer.AsSpan(4)</c>, <c>Span&lt;byte&gt; s = buffer</c>, <c>var alias = buffer</c> put
/// <c>view</c>, <c>s</c>, <c>alias</c> and <c>buffer</c> in one set, so a secret written through one of them is seen
/// through all (a may-alias relation for the whole method: it is not undone when a variable is later reassigned).
/// </summary>
internal sealed class AliasSets
{
    private readonly Dictionary<object, object> _parent;
    private readonly Dictionary<object, List<object>> _members;
    private readonly HashSet<object> _fresh;

    private AliasSets(Dictionary<object, object> parent, HashSet<object> fresh)
    {
        _parent = parent;
        _fresh = fresh;
        _members = new Dictionary<object, List<object>>(parent.Comparer);
        foreach (var variable in parent.Keys)
        {
            var root = Find(variable);
            if (!_members.TryGetValue(root, out var list))
            {
                _members[root] = list = new List<object>();
            }

            list.Add(variable);
        }
    }

    /// <summary>The variables that may refer to the same buffer or object as <paramref name="variable"/>, itself excluded.</summary>
    internal IEnumerable<object> AliasesOf(object variable)
    {
        if (!_parent.ContainsKey(variable))
        {
            yield break;
        }

        foreach (var other in _members[Find(variable)])
        {
            if (!_parent.Comparer.Equals(other, variable))
            {
                yield return other;
            }
        }
    }

    /// <summary>
    /// True when every value the variable is given is an object, tuple or record copy created in this method: writes to
    /// its members are tracked as part of the variable instead of as stores into shared objects.
    /// </summary>
    internal bool HoldsOnlyFreshObjects(object variable) => _fresh.Contains(variable);

    internal static AliasSets Build(ControlFlowGraph graph, IEqualityComparer<object> comparer)
    {
        var parent = new Dictionary<object, object>(comparer);
        var assignedFresh = new HashSet<object>(comparer);
        var assignedOther = new HashSet<object>(comparer);
        var freshCaptures = new HashSet<object>(comparer);

        // Captures first: the compiler's temporaries hold creations (object initializers, 'with') and aliases (?:, ??).
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                if (operation is IFlowCaptureOperation capture)
                {
                    if (IsFresh(capture.Value, freshCaptures))
                    {
                        freshCaptures.Add(capture.Id);
                    }

                    if (AliasRoot(capture.Value) is { } root)
                    {
                        Union(parent, capture.Id, root);
                    }
                }
            }
        }

        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.Operations)
            {
                foreach (var descendant in operation.DescendantsAndSelf())
                {
                    if (descendant is not ISimpleAssignmentOperation assignment || Variable(assignment.Target) is not { } target)
                    {
                        continue;
                    }

                    (IsFresh(assignment.Value, freshCaptures) ? assignedFresh : assignedOther).Add(target);
                    if (IsReferenceLike(assignment.Target.Type) && AliasRoot(assignment.Value) is { } root)
                    {
                        Union(parent, target, root);
                    }
                }
            }
        }

        assignedFresh.ExceptWith(assignedOther);
        assignedFresh.UnionWith(freshCaptures);
        return new AliasSets(parent, assignedFresh);
    }

    /// <summary>The variable an operation reads directly: a local, a parameter or a flow capture.</summary>
    internal static object? Variable(IOperation? operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFlowCaptureReferenceOperation capture => capture.Id,
        _ => null,
    };

    /// <summary>The variable whose buffer or object <paramref name="value"/> is (not a copy of it), if any.</summary>
    private static object? AliasRoot(IOperation? value)
    {
        while (true)
        {
            switch (value)
            {
                case IConversionOperation { OperatorMethod: null } conversion:
                    value = conversion.Operand;
                    continue;
                case IConversionOperation conversion when IsReferenceLike(conversion.Type) && !conversion.Type!.IsReferenceType:
                    // An array seen as a span or memory (the library's implicit conversion): the same elements.
                    value = conversion.Operand;
                    continue;
                case IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" or "Slice" } view:
                    value = view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null);
                    continue;
                case IObjectCreationOperation { Arguments.Length: > 0, Type.Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory" } creation:
                    value = creation.Arguments[0].Value;
                    continue;
                case IImplicitIndexerReferenceOperation { Instance.Type: not IArrayTypeSymbol } slice when slice.Type is INamedTypeSymbol { IsRefLikeType: true }:
                    // A range of a span is a view of it; a range of an array is a new array.
                    value = slice.Instance;
                    continue;
                default:
                    return Variable(value);
            }
        }
    }

    private static bool IsFresh(IOperation? value, HashSet<object> freshCaptures)
    {
        while (value is IConversionOperation { OperatorMethod: null } conversion)
        {
            value = conversion.Operand;
        }

        return value switch
        {
            IObjectCreationOperation or IAnonymousObjectCreationOperation or ITupleOperation or IWithOperation => true,
            IInvocationOperation { TargetMethod.Name: "<Clone>$" } => true,
            IFlowCaptureReferenceOperation capture => freshCaptures.Contains(capture.Id),
            ILiteralOperation or IDefaultValueOperation => true,
            _ => false,
        };
    }

    private static bool IsReferenceLike(ITypeSymbol? type) =>
        type is IArrayTypeSymbol || type is { IsReferenceType: true, SpecialType: not SpecialType.System_String } ||
        type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory", ContainingNamespace.Name: "System" };

    private static void Union(Dictionary<object, object> parent, object first, object second)
    {
        if (!parent.ContainsKey(first))
        {
            parent[first] = first;
        }

        if (!parent.ContainsKey(second))
        {
            parent[second] = second;
        }

        var a = Find(parent, first);
        var b = Find(parent, second);
        if (!parent.Comparer.Equals(a, b))
        {
            parent[a] = b;
        }
    }

    private object Find(object variable) => Find(_parent, variable);

    private static object Find(Dictionary<object, object> parent, object variable)
    {
        var current = variable;
        while (!parent.Comparer.Equals(parent[current], current))
        {
            current = parent[current];
        }

        return current;
    }
}
