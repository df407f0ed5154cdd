using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using TailGuard.Analyzers.Common;
using TailGuard.Analyzers.Rules;

namespace TailGuard.Analyzers.SecretFlow;

/// <summary>
/// The flow-sensitive taint analysis of one method over its control-flow graph: a forward data-flow fixed point over
/// basic blocks (the state at a block's entry is the join of its predecessors' exits, blocks are re-run until nothing
/// changes), then one more pass that reports the sinks secrets reach. An assignment replaces what a variable holds (a
/// public value clears it); writes into elements, into buffers and through aliases add to it. The work is linear in
/// the size of the method times the number of passes a loop needs, never in its number of paths. Lambdas and local
/// functions share the method's variables (flow-insensitively across the function boundary); local functions also
/// receive what their call sites pass. Calls into methods of the compilation use
/// <see cref="SecretFlowEngine.Summarize"/>; [Declassifier] calls end a flow.
/// </summary>
internal sealed partial class TaintRun
{
    internal const string FixedTimeEqualsProperty = "FixedTimeEquals";

    /// <summary>A safety bound on fixed-point rounds over one graph; real methods settle in a few.</summary>
    private const int MaxRounds = 64;

    /// <summary>A bound on re-running nested functions with what their enclosing function learned.</summary>
    private const int MaxNestedRounds = 4;

    private readonly SecretFlowEngine _engine;
    private readonly SinkCatalog _catalog;
    private readonly IMethodSymbol? _method;
    private readonly TaintState? _initial;
    private readonly bool _attributeSources;
    private readonly int _calleeLevels;
    private readonly HashSet<IMethodSymbol> _visiting;

    // Nested functions and what flows between them and the enclosing function.
    private readonly List<FunctionRun> _nested = new();
    private readonly Dictionary<ControlFlowGraph, FunctionRun> _runsByGraph = new();
    private readonly Dictionary<(IMethodSymbol Function, int Ordinal), Taint> _localFunctionArguments = new();
    private readonly Dictionary<IMethodSymbol, Taint> _localFunctionReturns = new(SymbolEqualityComparer.Default);
    private TaintState _sticky = new();
    private bool _nestedChanged;

    // The block being run.
    private FunctionRun _run = null!;
    private TaintState _state = null!;
    private bool _collecting;
    private readonly Stack<Taint?> _conditionalInstances = new();

    private DiagnosticDescriptor? _boundaryRule;
    private string? _boundaryName;
    private bool _boundaryKnown;

    internal TaintRun(SecretFlowEngine engine, IMethodSymbol? method, TaintState? initial, bool attributeSources, int calleeLevels,
        HashSet<IMethodSymbol> visiting)
    {
        _engine = engine;
        _catalog = engine.Catalog;
        _method = method;
        _initial = initial;
        _attributeSources = attributeSources;
        _calleeLevels = calleeLevels;
        _visiting = visiting;
    }

    internal List<SecretSink> Sinks { get; } = new();

    /// <summary>What of the method's inputs reaches its return value (the join over every return), if anything.</summary>
    internal Taint? Return { get; private set; }

    /// <summary>How many times a basic block was run: the measure of the analysis' work (tests hold it linear).</summary>
    internal int BlockRuns { get; private set; }

    internal void Execute(ControlFlowGraph graph)
    {
        var outer = new FunctionRun(graph, _method, nested: false);
        AddLocalFunctions(outer);
        var initial = InitialState(_method);
        for (var round = 0; round < MaxNestedRounds; round++)
        {
            _nestedChanged = false;
            Solve(outer, initial);
            var environment = Environment(outer);
            for (var i = 0; i < _nested.Count; i++)
            {
                var nested = _nested[i];
                Solve(nested, NestedInitialState(nested, environment));
                Escape(nested);
            }

            if (!_nestedChanged)
            {
                break;
            }
        }

        _collecting = true;
        Return = null;
        Replay(outer);
        for (var i = 0; i < _nested.Count; i++)
        {
            Replay(_nested[i]);
        }

        _collecting = false;
    }

    private TaintState InitialState(IMethodSymbol? function)
    {
        var state = _initial?.Clone() ?? new TaintState();
        if (_attributeSources && function is not null)
        {
            foreach (var parameter in function.Parameters)
            {
                if (_engine.IsSecretParameter(parameter))
                {
                    state.Set(parameter, Taint.Whole("'" + parameter.Name + "'"));
                }
            }
        }

        return state;
    }

    private TaintState NestedInitialState(FunctionRun nested, TaintState environment)
    {
        var state = environment.Clone();
        if (nested.Function is not { } function)
        {
            return state;
        }

        foreach (var parameter in function.Parameters)
        {
            if (_localFunctionArguments.TryGetValue((function, parameter.Ordinal), out var passed))
            {
                state.Set(parameter, passed.Into(parameter.Name));
            }
            else if (_attributeSources && _engine.IsSecretParameter(parameter))
            {
                state.Set(parameter, Taint.Whole("'" + parameter.Name + "'"));
            }
        }

        return state;
    }

    /// <summary>What any nested function may see of the enclosing variables: the join of every state reached so far.</summary>
    private TaintState Environment(FunctionRun outer)
    {
        var environment = new TaintState();
        JoinSymbols(environment, outer);
        foreach (var nested in _nested)
        {
            JoinSymbols(environment, nested);
        }

        return environment;
    }

    private static void JoinSymbols(TaintState into, FunctionRun run)
    {
        foreach (var state in run.Exits)
        {
            if (state is null)
            {
                continue;
            }

            foreach (var pair in state.Variables)
            {
                if (pair.Key is ISymbol)
                {
                    into.Add(pair.Key, pair.Value);
                }
            }
        }
    }

    /// <summary>Writes by a nested function to variables of the enclosing one are seen there everywhere (flow-insensitively).</summary>
    private void Escape(FunctionRun nested)
    {
        foreach (var state in nested.Exits)
        {
            if (state is null)
            {
                continue;
            }

            foreach (var pair in state.Variables)
            {
                if (pair.Key is ISymbol symbol && symbol is ILocalSymbol or IParameterSymbol &&
                    !SymbolEqualityComparer.Default.Equals(symbol.ContainingSymbol, nested.Function))
                {
                    var before = _sticky.Get(symbol);
                    _sticky.Add(symbol, pair.Value);
                    if (!Equals(before, _sticky.Get(symbol)))
                    {
                        _nestedChanged = true;
                    }
                }
            }
        }
    }

    private void AddLocalFunctions(FunctionRun run)
    {
        foreach (var function in run.Graph.LocalFunctions)
        {
            AddNested(run.Graph.GetLocalFunctionControlFlowGraph(function), function);
        }
    }

    private void AddNested(ControlFlowGraph graph, IMethodSymbol function)
    {
        if (_runsByGraph.ContainsKey(graph))
        {
            return;
        }

        // Solved in the current round: the loop over nested functions picks it up.
        var run = new FunctionRun(graph, function, nested: true);
        _runsByGraph[graph] = run;
        _nested.Add(run);
        AddLocalFunctions(run);
    }

    /// <summary>The forward fixed point over one graph: rounds over the blocks in order until no block's entry changes.</summary>
    private void Solve(FunctionRun run, TaintState initial)
    {
        // From scratch each nested round: calls to local functions may now return more than before.
        System.Array.Clear(run.Entries, 0, run.Entries.Length);
        System.Array.Clear(run.Exits, 0, run.Exits.Length);
        var blocks = run.Graph.Blocks;
        var changed = true;
        for (var round = 0; changed && round < MaxRounds; round++)
        {
            changed = false;
            for (var i = 0; i < blocks.Length; i++)
            {
                var block = blocks[i];
                if (!block.IsReachable && block.Kind != BasicBlockKind.Entry)
                {
                    continue;
                }

                var entry = Entry(run, block, initial);
                if (run.Entries[i] is { } previous && previous.SameAs(entry) && run.Exits[i] is not null)
                {
                    continue;
                }

                run.Entries[i] = entry;
                var exit = RunBlock(run, block, entry.Clone());
                if (run.Exits[i] is not { } oldExit || !oldExit.SameAs(exit))
                {
                    run.Exits[i] = exit;
                    changed = true;
                }
            }
        }
    }

    private void Replay(FunctionRun run)
    {
        var blocks = run.Graph.Blocks;
        for (var i = 0; i < blocks.Length; i++)
        {
            if (run.Entries[i] is { } entry)
            {
                RunBlock(run, blocks[i], entry.Clone());
            }
        }
    }

    /// <summary>
    /// A block's entry: the initial state for the entry block; the join of its predecessors' exits; for the first block
    /// of a catch, filter or finally region (no ordinary predecessors), the join of everything seen in the try region.
    /// Writes by nested functions are joined in everywhere.
    /// </summary>
    private TaintState Entry(FunctionRun run, BasicBlock block, TaintState initial)
    {
        var entry = block.Kind == BasicBlockKind.Entry ? initial.Clone() : new TaintState();
        foreach (var predecessor in block.Predecessors)
        {
            if (run.Exits[predecessor.Source.Ordinal] is { } exit)
            {
                entry.JoinWith(exit);
            }
        }

        if (block.Predecessors.IsEmpty && block.Kind != BasicBlockKind.Entry && TryRegionOf(block) is { } tryRegion)
        {
            for (var ordinal = tryRegion.FirstBlockOrdinal; ordinal <= tryRegion.LastBlockOrdinal; ordinal++)
            {
                if (run.Entries[ordinal] is { } seen)
                {
                    entry.JoinWith(seen);
                }

                if (run.Exits[ordinal] is { } left)
                {
                    entry.JoinWith(left);
                }
            }
        }

        entry.JoinWith(_sticky);
        return entry;
    }

    private static ControlFlowRegion? TryRegionOf(BasicBlock block)
    {
        for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter or ControlFlowRegionKind.Finally &&
                region.FirstBlockOrdinal == block.Ordinal && region.EnclosingRegion is { } handlers)
            {
                // TryAndCatch / TryAndFinally / FilterAndHandler: the try region is the first nested one.
                var tryAndHandlers = handlers.Kind == ControlFlowRegionKind.FilterAndHandler ? handlers.EnclosingRegion : handlers;
                return tryAndHandlers is { NestedRegions.Length: > 0 } ? tryAndHandlers.NestedRegions[0] : null;
            }
        }

        return null;
    }

    private TaintState RunBlock(FunctionRun run, BasicBlock block, TaintState state)
    {
        BlockRuns++;
        _run = run;
        _state = state;
        foreach (var operation in block.Operations)
        {
            Exec(operation);
        }

        if (block.BranchValue is { } branch)
        {
            var value = Exec(branch);
            if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && !run.Nested)
            {
                Returned(branch, value);
            }
            else if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && run.Function is { MethodKind: MethodKind.LocalFunction } local &&
                     value is not null)
            {
                var before = _localFunctionReturns.TryGetValue(local, out var known) ? known : null;
                var joined = Taint.Join(before, value)!;
                if (!Equals(before, joined))
                {
                    _localFunctionReturns[local] = joined;
                    _nestedChanged = true;
                }
            }
        }

        return state;
    }

    private void Returned(IOperation value, Taint? taint)
    {
        if (taint is null)
        {
            return;
        }

        Return = Taint.Join(Return, taint);
        if (_collecting && BoundaryRule is { } boundary)
        {
            Sinks.Add(new SecretSink(boundary, value.Syntax.GetLocation(), taint.Path + " -> return", "the result of '" + _boundaryName + "'"));
        }
    }

    /// <summary>One control-flow graph (the method's, a lambda's or a local function's) and the states at its blocks.</summary>
    private sealed class FunctionRun
    {
        internal FunctionRun(ControlFlowGraph graph, IMethodSymbol? function, bool nested)
        {
            Graph = graph;
            Function = function;
            Nested = nested;
            Entries = new TaintState?[graph.Blocks.Length];
            Exits = new TaintState?[graph.Blocks.Length];
            Aliases = AliasSets.Build(graph, VariableComparer.Instance);
        }

        internal ControlFlowGraph Graph { get; }

        /// <summary>The method, lambda or local function the graph is the body of.</summary>
        internal IMethodSymbol? Function { get; }

        internal bool Nested { get; }
        internal TaintState?[] Entries { get; }
        internal TaintState?[] Exits { get; }
        internal AliasSets Aliases { get; }
    }
}
