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

namespace TailGuard.Generators.Tests.R2P2;

/// <summary>
/// The pipeline's values hold nothing that pins a compilation: no symbol, syntax, tree, semantic model, compilation or
/// location, checked on the declared types and on the actual values of a real run.
/// </summary>
public class ModelPurityTests
{
    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(Location), typeof(SemanticModel),
    };

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
        Assert.NotEmpty(diagnostics);

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

        Assert.True(values >= 8, $"only {values} values were tracked");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static void WalkType(Type type, string path, HashSet<Type> visited, List<string> problems)
    {
        if (Forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            problems.Add(path + " is a " + type.Name);
            return;
        }

        if (type.IsArray)
        {
            WalkType(type.GetElementType()!, path + "[]", visited, problems);
            return;
        }

        if (type == typeof(object) || (type.IsInterface && !type.IsGenericType))
        {
            problems.Add(path + " is typed " + type.Name + " and could hold anything");
            return;
        }

        if (!visited.Add(type))
        {
            return;
        }

        foreach (Type argument in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
        {
            WalkType(argument, path + "<" + argument.Name + ">", visited, problems);
        }

        // Our own types are walked field by field; framework and Roslyn value types (string, TextSpan, the
        // descriptor) are leaves whose types were checked above.
        if (type.Assembly != typeof(R2P2ServiceGenerator).Assembly)
        {
            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            WalkType(field.FieldType, path + "." + field.Name, visited, problems);
        }
    }

    private static void WalkValue(object? value, string path, HashSet<object> seen, List<string> problems)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        if (Forbidden.Any(f => f.IsInstanceOfType(value)))
        {
            problems.Add(path + " holds a " + value.GetType().Name);
            return;
        }

        if (!value.GetType().IsValueType && !seen.Add(value))
        {
            return;
        }

        if (value is IEnumerable sequence)
        {
            int i = 0;
            foreach (object? item in sequence)
            {
                WalkValue(item, path + "[" + i++ + "]", seen, problems);
            }
        }

        if (value.GetType().Assembly != typeof(R2P2ServiceGenerator).Assembly && !value.GetType().IsGenericType)
        {
            return;
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            WalkValue(field.GetValue(value), path + "." + field.Name, seen, problems);
        }
    }
}
