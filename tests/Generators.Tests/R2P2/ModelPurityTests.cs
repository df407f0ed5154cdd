using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.R2P2;
using TailGuard.Generators.R2P2.Model;
using TailGuard.Generators.Tests.Infrastructure;
using static TailGuard.Generators.Tests.Infrastructure.ModelPurity;

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// The pipeline's values hold nothing that pins a compilation: no symbol, syntax, tree, semantic model, compilation or
/// location, checked on the declared types and on the actual values of a real run.
/// </summary>
public class ModelPurityTests
{
    [Fact]
    public void No_field_of_the_model_types_can_hold_a_compilation_object()
    {
        var visited = new HashSet<Type>();
        var problems = new List<string>();
        WalkType(typeof(ServiceParseResult), "ServiceParseResult", visited, problems);

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Contains(typeof(ParameterModel), visited);
        Assert.Contains(typeof(TailGuard.Generators.Common.LocationInfo), visited);
    }

    [Fact]
    public void No_value_produced_by_a_run_holds_a_compilation_object()
    {
        string withDiagnostics = "using TailGuard;\n[R2P2Service] public interface IBroken { object A(); }";
        var (_, diagnostics, run) = GeneratorHarness.Run(new R2P2ServiceGenerator(), ServiceSources.All.Values.Append(withDiagnostics).ToArray());
        Assert.NotEmpty(diagnostics); // reported by the analyzer; the generator's parse step holds no model for that service

        var problems = new List<string>();
        int values = 0;
        foreach (var step in run.Results.Single().TrackedSteps.Where(s => s.Key.StartsWith("R2P2.", StringComparison.Ordinal)))
        {
            foreach (var output in step.Value.SelectMany(r => r.Outputs))
            {
                values++;
                WalkValue(output.Value, step.Key, new HashSet<object>(ReferenceEqualityComparer.Instance), problems);
            }
        }

        Assert.True(values >= 6, $"only {values} values were tracked"); // the parsed models and the emitted ones
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
