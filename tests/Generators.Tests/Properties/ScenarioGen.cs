using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using CsCheck;
using TailGuard.Generators.R2P2;
using static TailGuard.Generators.Tests.Properties.Source;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>
/// CsCheck generators of valid contracts: the documented type set of each generator (docs/r2p2-services.md,
/// docs/trust-boundary.md), every nesting form, hostile names (keywords, contextual keywords, Unicode, the names of
/// generated members and parameters, very long ones), attributes ([R2P2Method], bounds, [Obsolete] at every level,
/// [UserCheck] under a pragma), nullable annotations and XML docs.
/// </summary>
internal static class ScenarioGen
{
    public static readonly string VeryLong = "Very" + new string('L', 300) + "Name";

    // Names the generators derive or declare, names C# reserves in some contexts, Unicode, and the very long name.
    private static readonly string[] ParameterNames =
    {
        "value", "key", "count", "class", "checked", "lock", "event", "params", "object", "string", "var", "nameof", "global",
        "await", "async", "dynamic", "_", "__", "record", "file", "scoped", "required", "this_", "cancellationToken", "timeout",
        "destination", "destinationCapacity", "valueCapacity", "__state", "__call", "__timeout", "_client", "_batch", "batch", "s_writeGet", "WriteGet",
        "DecodeGet", "_implementation", "_handlerFailed", "reader", "response", "request", "output", "state", "capacity", "unused",
        "__writer", "__reader", "__payload", "__sequence", "__result", "__exception", "__arg0", "__arg0Raw", "__arg0Present",
        "__destination", "__reserved", "__present1", "__methodId", "__frame", "frame", "_channel", "End", "Data", "M1End", "M1Data",
        "M1_End", "Contract", "Layout", "s_layout", "Host", "implementation", "region", "channel", "options", "client",
        "handlerFailed", "T", "ünïcödé", "名前", "Δelta", VeryLong,
    };

    private static readonly string[] MethodNames =
    {
        "Get", "Put", "checked", "lock", "event", "class", "Handle", "Dispatch", "Write", "Decode", "Invoke", "End", "Data",
        "Layout", "Host", "Contract", "CreateProxy", "CreateEntry", "Call1", "FetchAsync", "Run", "Ping", "Result", "Scalar",
        "Client", "Dispatcher", "Proxy", "Entry", "Boundary", "EnsureRegionHeld", "ünïcödé", "名前", "Δelta", VeryLong,
    };

    private static readonly string[] ServiceNames = { "IKeyValue", "IOrders", "Service", "class", "IÜber", "I" + VeryLong };

    private static readonly string[] DomainNames = { "IVault", "IKeys", "Domain", "checked", "IΩmega", "ISigner" };

    private static readonly string[] HostCallsNames = { "IHostServices", "IStorage", "Outside", "lock", "IÉcho" };

    private static readonly string[] Policies = { "LoadBalanced", "Fixed", "Replicated", "ReplicatedReadOnly" };

    private static readonly string[] Obsoletes =
    {
        "[global::System.Obsolete]",
        "[global::System.Obsolete(\"Use the other one.\")]",
        "[global::System.Obsolete(\"Gone.\", true)]",
        "[global::System.Obsolete(\"Tracked.\", DiagnosticId = \"TGX0001\", UrlFormat = \"https://example.invalid/{0}\")]",
    };

    public static Gen<Scenario> Scenario { get; } =
        from nesting in Gen.OneOf(Enum.GetValues<Nesting>())
        from typesInService in Gen.Bool
        from accessibility in Gen.OneOf(Accessibilities(nesting))
        from scenario in Build(nesting, typesInService && nesting != Nesting.NestedInGenericClasses, accessibility)
        select scenario;

    private static string[] Accessibilities(Nesting nesting)
        => nesting is Nesting.NestedInClass or Nesting.NestedInGenericClasses or Nesting.NestedInRecord
            ? new[] { "public", "internal", "private" }
            : new[] { "public", "internal" };

    private static Gen<Scenario> Build(Nesting nesting, bool typesInService, string accessibility)
    {
        // The qualifier of the helper types depends only on the nesting and the service's name.
        return
            from serviceName in Gen.OneOf(ServiceNames)
            from domainName in Gen.OneOf(DomainNames)
            from hostName in Gen.OneOf(HostCallsNames)
            let probe = new Scenario(nesting, typesInService, ImmutableArray<UserTypeSpec>.Empty, Empty(serviceName), Empty(domainName), Empty(hostName))
            let types = probe.TypeQualifier
            let documented = accessibility == "public"
            from service in Service(serviceName, accessibility, documented, types, mayBeObsolete: !typesInService)
            from domain in Boundary(domainName, "[global::TailGuard.TrustDomain]", accessibility, documented, types)
            from hostCalls in Boundary(hostName, "[global::TailGuard.HostCalls]", accessibility, documented, types)
            select probe with { Types = UserTypes, Service = service, Domain = domain, HostCalls = hostCalls };
    }

    private static ContractSpec Empty(string name) => new(name, "public", string.Empty, false, ImmutableArray<MethodSpec>.Empty);

    // The enums and structs: R2P2 structs may have padding (they cross as their bytes); trust-boundary ones have none
    // and no bool or decimal field (those need validation the boundary rules may demand).
    private static readonly ImmutableArray<UserTypeSpec> UserTypes = ImmutableArray.Create(
        new UserTypeSpec("/// <summary>A test enum.</summary>\npublic enum E0 : short\n{\n    /// <summary>A.</summary>\n    A = -1,\n\n    /// <summary>B.</summary>\n    B = 7,\n}"),
        new UserTypeSpec("/// <summary>A test enum.</summary>\npublic enum E1 : byte\n{\n    /// <summary>A.</summary>\n    A,\n\n    /// <summary>B.</summary>\n    B,\n}"),
        new UserTypeSpec("/// <summary>A struct with padding.</summary>\npublic struct S0\n{\n    /// <summary>Creates one.</summary>\n    /// <param name=\"a\">A.</param>\n    /// <param name=\"b\">B.</param>\n    /// <param name=\"c\">C.</param>\n    public S0(int a, long b, byte c) { A = a; B = b; C = c; }\n\n    /// <summary>A.</summary>\n    public int A;\n\n    /// <summary>B.</summary>\n    public long B;\n\n    /// <summary>C.</summary>\n    public byte C;\n}"),
        new UserTypeSpec("/// <summary>A struct without padding.</summary>\npublic struct S1\n{\n    /// <summary>Creates one.</summary>\n    /// <param name=\"a\">A.</param>\n    /// <param name=\"b\">B.</param>\n    /// <param name=\"c\">C.</param>\n    public S1(int a, int b, long c) { A = a; B = b; C = c; }\n\n    /// <summary>A.</summary>\n    public int A;\n\n    /// <summary>B.</summary>\n    public int B;\n\n    /// <summary>C.</summary>\n    public long C;\n}"));

    // ---- R2P2 -----------------------------------------------------------------------------------------------------

    // A service holding the helper types is never obsolete: the other contracts use those types.
    private static Gen<ContractSpec> Service(string name, string accessibility, bool documented, string types, bool mayBeObsolete) =>
        from policy in Gen.OneOf(Policies.Prepend(string.Empty).ToArray())
        from obsolete in mayBeObsolete ? ContractObsolete : Gen.Const(string.Empty)
        from docs in Gen.Bool
        from methods in ServiceMethod(documented, types).Array[1, 5]
        from extras in Gen.Bool
        select new ContractSpec(
            name,
            accessibility,
            (policy.Length == 0 ? "[global::TailGuard.R2P2Service]" : "[global::TailGuard.R2P2Service(Policy = global::TailGuard.R2P2.RoutingPolicy." + policy + ")]") + obsolete,
            documented || docs,
            UniqueServiceMethods(methods),
            extras);

    private static Gen<string> ContractObsolete => Gen.Frequency((9, Gen.Const(string.Empty)), (1, Gen.Const("[global::System.Obsolete(\"Old service.\")]")));

    private static Gen<string> MethodObsolete => Gen.Frequency((5, Gen.Const(string.Empty)), (1, Gen.OneOf(Obsoletes)));

    private static Gen<MethodSpec> ServiceMethod(bool documented, string types) =>
        from name in Gen.OneOf(MethodNames)
        from parameters in ServiceParameter(types).Array[0, 4]
        from destination in Gen.Frequency((3, Gen.Const((ParamSpec?)null)), (1, Destination.Select(d => (ParamSpec?)d)))
        from result in ServiceReturn(types)
        from id in Gen.Frequency((3, Gen.Const(-1)), (1, Gen.Int[0, 65535]))
        from policy in Gen.OneOf(Policies.Prepend(string.Empty).ToArray())
        from obsolete in MethodObsolete
        from docs in Gen.Bool
        from defaultBody in DefaultBody
        select new MethodSpec(
            name,
            UniqueNames(destination is null ? parameters : parameters.Append(destination).ToArray()),
            destination is null ? result : new ReturnSpec("int", "0", string.Empty),
            MethodAttribute(id, policy) + obsolete,
            documented || docs,
            defaultBody && destination is null);

    private static Gen<bool> DefaultBody => Gen.Frequency((6, Gen.Const(false)), (1, Gen.Const(true)));

    // [R2P2Method] always names an id; a method-level policy comes with one.
    private static string MethodAttribute(int id, string policy)
        => id < 0
            ? string.Empty
            : "[global::TailGuard.R2P2Method((ushort)" + Number(id) + (policy.Length == 0 ? string.Empty : ", Policy = global::TailGuard.R2P2.RoutingPolicy." + policy) + ")]";

    private static Gen<ParamSpec> ServiceParameter(string types) => Gen.Frequency(
        (4, from name in Gen.OneOf(ParameterNames) from value in ServiceValue(types) select new ParamSpec(name, Shape.Value, value.Type, string.Empty, value.Value, string.Empty, 0)),
        (2, from name in Gen.OneOf(ParameterNames) from text in ServiceText select new ParamSpec(name, Shape.Text, text.Type, text.Attributes, text.Value, string.Empty, 0)),
        (1, from name in Gen.OneOf(ParameterNames)
            from bound in Gen.OneOf(0, 16, 300)
            from bytes in Gen.Byte.Array[0, bound == 16 ? 16 : 64]
            select new ParamSpec(name, Shape.SpanIn, "byte", bound == 0 ? string.Empty : "[global::TailGuard.R2P2MaxLength(" + Number(bound) + ")] ", ByteArray(bytes), string.Empty, 0)));

    private static Gen<ParamSpec> Destination =>
        from name in Gen.OneOf(ParameterNames)
        from bound in Gen.OneOf(0, 32, 4096)
        from capacity in Gen.Int[0, 32]
        from written in Gen.Byte.Array[0, 32]
        let output = written.Take(capacity).ToArray()
        select new ParamSpec(name, Shape.SpanOut, "byte", bound == 0 ? string.Empty : "[global::TailGuard.R2P2MaxLength(" + Number(bound) + ")] ", string.Empty, ByteArray(output), capacity);

    private static Gen<ReturnSpec?> ServiceReturn(string types) => Gen.Frequency(
        (2, Gen.Const((ReturnSpec?)null)),
        (4, ServiceValue(types).Select(v => (ReturnSpec?)new ReturnSpec(v.Type, v.Value, string.Empty))),
        (2, ServiceText.Select(t => (ReturnSpec?)new ReturnSpec(t.Type, t.Value, t.Attributes.Length == 0 ? string.Empty : "[return: " + t.Attributes.Trim().Trim('[', ']') + "]"))));

    private static Gen<(string Type, string Value, string Attributes)> ServiceText =>
        from nullable in Gen.Bool
        from bound in Gen.OneOf(0, 64, 200)
        from isNull in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
        from text in Text(trustBoundary: false)
        select (nullable ? "string?" : "string", nullable && isNull ? "(string?)null" : Literal(text), bound == 0 ? string.Empty : "[global::TailGuard.R2P2MaxLength(" + Number(bound) + ")] ");

    // Every value type that crosses R2P2 by value, and nullable forms of each.
    private static Gen<(string Type, string Value)> ServiceValue(string types) =>
        from value in Gen.OneOf(Scalar(types, trustBoundary: false).ToArray())
        from nullable in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
        from isNull in Gen.Bool
        select nullable ? (value.Type + "?", isNull ? "(" + value.Type + "?)null" : value.Value) : value;

    // ---- trust boundary -------------------------------------------------------------------------------------------

    private static Gen<ContractSpec> Boundary(string name, string attribute, string accessibility, bool documented, string types) =>
        from obsolete in ContractObsolete
        from docs in Gen.Bool
        from methods in BoundaryMethod(documented, types).Array[1, 5]
        from overload in Gen.Bool
        from overloadParameters in BoundaryParameter(types).Array[0, 3]
        from extras in Gen.Bool
        select new ContractSpec(name, accessibility, attribute + obsolete, documented || docs, UniqueBoundaryMethods(methods, overload ? overloadParameters : null), extras);

    private static Gen<MethodSpec> BoundaryMethod(bool documented, string types) =>
        from name in Gen.OneOf(MethodNames)
        from parameters in BoundaryParameter(types).Array[0, 4]
        from result in Gen.Frequency(
            (1, Gen.Const((ReturnSpec?)null)),
            (2, Gen.OneOf(Scalar(types, trustBoundary: true).ToArray()).Select(v => (ReturnSpec?)new ReturnSpec(v.Type, v.Value, string.Empty))))
        from obsolete in MethodObsolete
        from docs in Gen.Bool
        from defaultBody in DefaultBody
        select new MethodSpec(name, UniqueNames(parameters), result, obsolete, documented || docs, defaultBody && parameters.All(p => p.Shape is not (Shape.SpanOut or Shape.SpanInOut)));

    private static Gen<ParamSpec> BoundaryParameter(string types) => Gen.Frequency(
        (4, from name in Gen.OneOf(ParameterNames) from value in Gen.OneOf(Scalar(types, trustBoundary: true).ToArray()) select new ParamSpec(name, Shape.Value, value.Type, string.Empty, value.Value, string.Empty, 0)),
        (2, from name in Gen.OneOf(ParameterNames)
            from nullable in Gen.Bool
            from isNull in Gen.Bool
            from bound in Gen.OneOf(0, 64, 300)
            from text in Text(trustBoundary: true)
            select new ParamSpec(name, Shape.Text, nullable ? "string?" : "string", bound == 0 ? string.Empty : "[global::TailGuard.Bounded(" + Number(bound) + ")] ", nullable && isNull ? "(string?)null" : Literal(text), string.Empty, 0)),
        (3, from name in Gen.OneOf(ParameterNames)
            from shape in Gen.OneOf(Shape.SpanIn, Shape.SpanOut, Shape.SpanInOut)
            from userCheck in Gen.Frequency((4, Gen.Const(false)), (1, Gen.Const(true)))
            from element in Gen.OneOf(SpanElement(types).ToArray())
            from bound in Gen.Int[1, 12]
            from values in element.Values.Array[0, 12]
            from output in element.Values.Array[0, 12]
            from length in Gen.Int[0, 12]
            select BoundarySpan(name, shape, userCheck && shape != Shape.SpanInOut, element.Type, bound, values, output, length)));

    private static ParamSpec BoundarySpan(string name, Shape shape, bool userCheck, string element, int bound, string[] values, string[] output, int length)
    {
        // [UserCheck] spans are byte spans; lengths never exceed the bound, outputs never exceed what the caller passes.
        string type = userCheck ? "byte" : element;
        string[] input = values.Take(bound).ToArray();
        if (userCheck && element != "byte")
        {
            input = input.Select((_, i) => "(byte)" + Number(i * 37 % 256)).ToArray();
            output = output.Select((_, i) => "(byte)" + Number((i * 11 + 5) % 256)).ToArray();
        }

        int callerLength = shape == Shape.SpanInOut ? input.Length : Math.Min(length, bound);
        string[] written = output.Take(callerLength).ToArray();
        string attributes = "[" + (userCheck ? "global::TailGuard.UserCheck, " : string.Empty) + (shape == Shape.SpanInOut ? "global::TailGuard.InOut, " : string.Empty)
            + "global::TailGuard.Bounded(" + Number(bound) + ")] ";
        return new ParamSpec(name, shape, type, attributes, Array(type, input), Array(type, written), callerLength);
    }

    // ---- values ---------------------------------------------------------------------------------------------------

    private sealed record Element(string Type, Gen<string> Values);

    private static IEnumerable<Gen<(string Type, string Value)>> Scalar(string types, bool trustBoundary)
    {
        yield return Gen.Bool.Select(b => ("bool", b ? "true" : "false"));
        yield return Gen.Byte.Select(v => ("byte", "(byte)" + Hex(v)));
        yield return Gen.SByte.Select(v => ("sbyte", "unchecked((sbyte)" + Hex((byte)v) + ")"));
        yield return Gen.Short.Select(v => ("short", "unchecked((short)" + Hex((ushort)v) + ")"));
        yield return Gen.UShort.Select(v => ("ushort", "(ushort)" + Hex(v)));
        yield return Gen.UShort.Select(v => ("char", "(char)" + Hex(v)));
        yield return Gen.Int.Select(v => ("int", "unchecked((int)" + Hex((uint)v) + "u)"));
        yield return Gen.UInt.Select(v => ("uint", Hex(v) + "u"));
        yield return Gen.Long.Select(v => ("long", "unchecked((long)" + Hex((ulong)v) + "UL)"));
        yield return Gen.ULong.Select(v => ("ulong", Hex(v) + "UL"));
        yield return Gen.Int.Select(v => ("float", "global::System.BitConverter.Int32BitsToSingle(unchecked((int)" + Hex((uint)v) + "u))"));
        yield return Gen.Long.Select(v => ("double", "global::System.BitConverter.Int64BitsToDouble(unchecked((long)" + Hex((ulong)v) + "UL))"));
        yield return Gen.Guid.Select(v => ("global::System.Guid", "new global::System.Guid(" + Literal(v.ToString()) + ")"));
        yield return Gen.Short.Select(v => (types + "E0", "(" + types + "E0)unchecked((short)" + Hex((ushort)v) + ")"));
        yield return Gen.Byte.Select(v => (types + "E1", "(" + types + "E1)(byte)" + Hex(v)));
        yield return Gen.Select(Gen.Int, Gen.Int, Gen.Long).Select(v => (types + "S1", "new " + types + "S1 { A = unchecked((int)" + Hex((uint)v.Item1) + "u), B = unchecked((int)" + Hex((uint)v.Item2) + "u), C = unchecked((long)" + Hex((ulong)v.Item3) + "UL) }"));
        if (!trustBoundary)
        {
            yield return Gen.Select(Gen.Int, Gen.Int, Gen.Int, Gen.Bool, Gen.Byte[0, 28]).Select(v => ("decimal", "new decimal(" + Number(v.Item1) + ", " + Number(v.Item2) + ", " + Number(v.Item3) + ", " + (v.Item4 ? "true" : "false") + ", (byte)" + Number(v.Item5) + ")"));
            yield return Gen.Long[0, DateTime.MaxValue.Ticks].Select(v => ("global::System.DateTime", "new global::System.DateTime(" + Number(v) + "L, global::System.DateTimeKind.Utc)"));
            yield return Gen.Select(Gen.Int, Gen.Long, Gen.Byte).Select(v => (types + "S0", "new " + types + "S0 { A = unchecked((int)" + Hex((uint)v.Item1) + "u), B = unchecked((long)" + Hex((ulong)v.Item2) + "UL), C = (byte)" + Number(v.Item3) + " }"));
            yield return Gen.Select(Gen.Int, Gen.Long).Select(v => ("(int, long)", "(unchecked((int)" + Hex((uint)v.Item1) + "u), unchecked((long)" + Hex((ulong)v.Item2) + "UL))"));
            yield return Gen.Select(Gen.Byte, Gen.Long).Select(v => ("(byte Small, double Large)", "((byte)" + Number(v.Item1) + ", global::System.BitConverter.Int64BitsToDouble(unchecked((long)" + Hex((ulong)v.Item2) + "UL)))"));
        }
    }

    private static IEnumerable<Element> SpanElement(string types)
    {
        yield return new Element("byte", Gen.Byte.Select(v => "(byte)" + Hex(v)));
        yield return new Element("int", Gen.Int.Select(v => "unchecked((int)" + Hex((uint)v) + "u)"));
        yield return new Element("long", Gen.Long.Select(v => "unchecked((long)" + Hex((ulong)v) + "UL)"));
        yield return new Element("ushort", Gen.UShort.Select(v => "(ushort)" + Hex(v)));
        yield return new Element("double", Gen.Long.Select(v => "global::System.BitConverter.Int64BitsToDouble(unchecked((long)" + Hex((ulong)v) + "UL))"));
        yield return new Element(types + "E0", Gen.Short.Select(v => "(" + types + "E0)unchecked((short)" + Hex((ushort)v) + ")"));
        yield return new Element(types + "S1", Gen.Select(Gen.Int, Gen.Int, Gen.Long).Select(v => "new " + types + "S1 { A = unchecked((int)" + Hex((uint)v.Item1) + "u), B = unchecked((int)" + Hex((uint)v.Item2) + "u), C = unchecked((long)" + Hex((ulong)v.Item3) + "UL) }"));
    }

    // Short Unicode text (BMP and astral, quotes and backslashes); never NUL, at most 4 UTF-8 bytes a character, so 12
    // characters fit the smallest bound used (64 bytes).
    private static Gen<string> Text(bool trustBoundary) =>
        Gen.OneOf("a", "Z", "0", " ", "\"", "\\", "é", "ü", "日", "本", "\U0001F600", "\t", "'", "<", "&", trustBoundary ? "x" : "\u0001").Array[0, 12]
            .Select(parts => string.Concat(parts));

    private static string ByteArray(byte[] bytes) => Array("byte", bytes.Select(b => "(byte)" + Number(b)).ToArray());

    private static string Array(string type, string[] values) => "new " + ArrayType(type) + " { " + string.Join(", ", values) + " }";

    // "new (int, long)[] { }" is not C#, but a tuple never is an element type here.
    private static string ArrayType(string element) => element + "[]";

    // ---- uniqueness -----------------------------------------------------------------------------------------------

    private static ImmutableArray<ParamSpec> UniqueNames(ParamSpec[] parameters)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<ParamSpec>(parameters.Length);
        foreach (ParamSpec parameter in parameters)
        {
            string name = parameter.Name;
            for (int i = 2; !taken.Add(name); i++)
            {
                name = parameter.Name + Number(i);
            }

            result.Add(parameter with { Name = name });
        }

        return result.MoveToImmutable();
    }

    // Names, client names (Name + Async, or kept when it ends in Async) and lease names are pairwise distinct, and ids
    // (explicit or hashed) are unique: what TG1006 and TG1007 demand of a valid service.
    private static ImmutableArray<MethodSpec> UniqueServiceMethods(MethodSpec[] methods)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ids = new HashSet<int>();
        var result = ImmutableArray.CreateBuilder<MethodSpec>(methods.Length);
        foreach (MethodSpec method in methods)
        {
            string name = method.Name;
            for (int i = 2; DerivedNames(name, method).Any(names.Contains); i++)
            {
                name = method.Name + Number(i);
            }

            names.UnionWith(DerivedNames(name, method));
            MethodSpec unique = method with { Name = name };
            int id = ExplicitId(unique.Attributes) ?? MethodIdHash.FromName(name);
            if (!ids.Add(id))
            {
                int free = Enumerable.Range(1, 65535).First(candidate => !ids.Contains(candidate));
                ids.Add(free);
                string policy = unique.Attributes.Contains("Policy = ", StringComparison.Ordinal)
                    ? unique.Attributes.Substring(unique.Attributes.IndexOf("Policy = ", StringComparison.Ordinal)).Split(')')[0]
                    : string.Empty;
                string rest = unique.Attributes.StartsWith("[global::TailGuard.R2P2Method", StringComparison.Ordinal)
                    ? unique.Attributes.Substring(unique.Attributes.IndexOf(")]", StringComparison.Ordinal) + 2)
                    : unique.Attributes;
                unique = unique with { Attributes = "[global::TailGuard.R2P2Method((ushort)" + Number(free) + (policy.Length > 0 ? ", " + policy : string.Empty) + ")]" + rest };
            }

            result.Add(unique);
        }

        return result.MoveToImmutable();
    }

    private static IEnumerable<string> DerivedNames(string name, MethodSpec method)
    {
        string stem = name.EndsWith("Async", StringComparison.Ordinal) ? name.Substring(0, name.Length - 5) : name;
        yield return name;
        yield return stem + "Async";
        if (method.Parameters.Any(p => p.Shape == Shape.SpanOut))
        {
            yield return stem + "LeaseAsync";
        }
    }

    private static int? ExplicitId(string attributes)
    {
        const string Marker = "R2P2Method((ushort)";
        int at = attributes.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        string digits = new string(attributes.Substring(at + Marker.Length).TakeWhile(char.IsDigit).ToArray());
        return int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }

    // Overloads are allowed; two methods with one name need different parameter types.
    private static ImmutableArray<MethodSpec> UniqueBoundaryMethods(MethodSpec[] methods, ParamSpec[]? overload)
    {
        var signatures = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<MethodSpec>();
        IEnumerable<MethodSpec> all = overload is null ? methods : methods.Append(methods[0] with { Parameters = UniqueNames(overload), Attributes = string.Empty, DefaultBody = false });
        foreach (MethodSpec method in all)
        {
            string name = method.Name;
            for (int i = 2; !signatures.Add(Signature(name, method)); i++)
            {
                name = method.Name + Number(i);
            }

            result.Add(method with { Name = name });
        }

        return result.ToImmutable();
    }

    // What C# overload resolution sees: Span<T> for outputs and in-outs alike, string for string?.
    private static string Signature(string name, MethodSpec method)
        => name + "(" + string.Join(",", method.Parameters.Select(p => p.Shape switch
        {
            Shape.SpanIn => "ReadOnlySpan<" + p.Type + ">",
            Shape.SpanOut or Shape.SpanInOut => "Span<" + p.Type + ">",
            _ => p.Type.TrimEnd('?'),
        })) + ")";
}
