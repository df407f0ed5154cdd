using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using TailGuard.Generators.R2P2;

namespace TailGuard.Generators.Tests.Infrastructure;

/// <summary>
/// Walks a generator's pipeline model, by declared types and by the values of a real run, for anything that would pin
/// a compilation in the incremental cache: a symbol, syntax, tree, semantic model, compilation or location. Types of
/// the generator assembly are walked field by field; framework and Roslyn value types (string, TextSpan, the
/// descriptor) are leaves whose types were checked.
/// </summary>
internal static class ModelPurity
{
    private static readonly Assembly GeneratorAssembly = typeof(R2P2ServiceGenerator).Assembly;

    private static readonly Type[] Forbidden =
    {
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(Location), typeof(SemanticModel),
    };

    public static void WalkType(Type type, string path, HashSet<Type> visited, List<string> problems)
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

        if (type.Assembly != GeneratorAssembly)
        {
            return;
        }

        foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            WalkType(field.FieldType, path + "." + field.Name, visited, problems);
        }
    }

    public static void WalkValue(object? value, string path, HashSet<object> seen, List<string> problems)
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

        if (value.GetType().Assembly != GeneratorAssembly && !value.GetType().IsGenericType)
        {
            return;
        }

        foreach (FieldInfo field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            WalkValue(field.GetValue(value), path + "." + field.Name, seen, problems);
        }
    }
}
