using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using static TailGuard.Generators.Tests.Properties.Source;

namespace TailGuard.Generators.Tests.Properties;

/// <summary>
/// Writes a scenario as three sources: the contracts (what a user writes), the implementations and the driver (which
/// calls every method end to end and checks that the implementation saw each argument and the caller each result and
/// output), and the checks. Test classes are [Obsolete] so they may call contract members of every obsolete form.
/// </summary>
internal static class ScenarioWriter
{
    public const string DriverName = "TgDriver";

    public static string[] Write(Scenario scenario) => new[] { Contracts(scenario), Driver(scenario), CheckSource };

    /// <summary>Every source of the scenario, for a failure message.</summary>
    public static string Print(Scenario scenario)
        => string.Join("\n// ----------------------------------------------------------------\n", Write(scenario));

    // ---- the contracts --------------------------------------------------------------------------------------------

    private static string Contracts(Scenario scenario)
    {
        var w = new StringBuilder();
        w.AppendLine("// [UserCheck] is a deliberate escape in these contracts: its warning (TG2009) is silenced the way users do.");
        w.AppendLine("#pragma warning disable TG2009");
        Open(w, scenario, declareTypes: !scenario.TypesInService, document: true);
        WriteContract(w, scenario.Service, scenario.TypesInService ? TypeDeclarations(scenario) : string.Empty);
        WriteContract(w, scenario.Domain, string.Empty);
        WriteContract(w, scenario.HostCalls, string.Empty);
        w.AppendLine("/// <summary>Runs the [HostCalls] checks from inside a domain.</summary>");
        w.AppendLine("[global::TailGuard.TrustDomain]");
        w.AppendLine("internal interface ITgRun");
        w.AppendLine("{");
        w.AppendLine("    /// <summary>Calls every host method.</summary>");
        w.AppendLine("    void Run();");
        w.AppendLine("}");
        Close(w, scenario);
        return w.ToString();
    }

    private static string TypeDeclarations(Scenario scenario) => string.Join("\n\n", scenario.Types.Select(t => t.Declaration)) + "\n";

    // The contracts' file declares (and documents) the containers and the helper types; the driver's file only reopens them.
    private static void Open(StringBuilder w, Scenario scenario, bool declareTypes, bool document)
    {
        string types = declareTypes ? TypeDeclarations(scenario) : string.Empty;
        string Doc(string line) => document ? line + "\n" : string.Empty;
        switch (scenario.Nesting)
        {
            case Nesting.BlockNamespace:
                w.AppendLine("namespace Tg.Generated").AppendLine("{").Append(types);
                break;
            case Nesting.FileScopedNamespace:
                w.AppendLine("namespace Tg.Generated;").Append(types);
                break;
            case Nesting.GlobalNamespace:
                w.Append(types);
                break;
            case Nesting.NestedInClass:
                w.AppendLine("namespace Tg.Generated;").Append(Doc("/// <summary>Outer.</summary>")).AppendLine("public static partial class Outer").AppendLine("{").Append(types);
                break;
            case Nesting.NestedInGenericClasses:
                w.AppendLine("namespace Tg.Generated;").Append(types).Append(Doc("/// <summary>Outer.</summary>")).Append(Doc("/// <typeparam name=\"T\">Unused by the contracts.</typeparam>"))
                    .AppendLine("public partial class Outer<T>").AppendLine("{").Append(Doc("/// <summary>Inner.</summary>")).AppendLine("public partial class Inner").AppendLine("{");
                break;
            case Nesting.NestedInRecord:
                w.AppendLine("namespace Tg.Generated;").Append(Doc("/// <summary>Holder.</summary>")).AppendLine("public partial record Holder").AppendLine("{").Append(types);
                break;
        }
    }

    private static void Close(StringBuilder w, Scenario scenario)
    {
        switch (scenario.Nesting)
        {
            case Nesting.BlockNamespace:
            case Nesting.NestedInClass:
            case Nesting.NestedInRecord:
                w.AppendLine("}");
                break;
            case Nesting.NestedInGenericClasses:
                w.AppendLine("}").AppendLine("}");
                break;
        }
    }

    private static void WriteContract(StringBuilder w, ContractSpec contract, string nestedTypes)
    {
        if (contract.Documented)
        {
            w.AppendLine("/// <summary>The " + Xml(contract.Name) + " contract.</summary>");
        }

        w.AppendLine(contract.Attributes);
        w.AppendLine(contract.Accessibility + " interface " + Id(contract.Name));
        w.AppendLine("{");
        w.Append(nestedTypes);
        foreach (MethodSpec method in contract.Methods)
        {
            if (method.Documented)
            {
                w.AppendLine("/// <summary>Does " + Xml(method.Name) + ".</summary>");
                foreach (ParamSpec parameter in method.Parameters)
                {
                    w.AppendLine("/// <param name=\"" + Xml(parameter.Name) + "\">The " + Xml(parameter.Name) + " argument.</param>");
                }

                if (method.Return is not null)
                {
                    w.AppendLine("/// <returns>The result.</returns>");
                }
            }

            if (method.Attributes.Length > 0)
            {
                w.AppendLine(method.Attributes);
            }

            if (method.Return is { Attributes.Length: > 0 })
            {
                w.AppendLine(method.Return.Attributes);
            }

            string signature = (method.Return?.Type ?? "void") + " " + Id(method.Name) + "(" + string.Join(", ", method.Parameters.Select(p => p.Attributes + DeclaredType(p) + " " + Id(p.Name))) + ")";
            w.AppendLine(!method.DefaultBody ? signature + ";" : method.Return is null ? signature + " { }" : signature + " => " + method.Return.Value + ";");
            w.AppendLine();
        }

        if (contract.Extras)
        {
            // Not calls: a constant, and helpers with bodies that run where they are called.
            w.AppendLine("/// <summary>A constant.</summary>");
            w.AppendLine("const int TgVersion = 3;");
            w.AppendLine();
            w.AppendLine("private int TgHelper() => TgVersion;");
            w.AppendLine();
            w.AppendLine("/// <summary>A sealed helper.</summary>");
            w.AppendLine("/// <returns>A number.</returns>");
            w.AppendLine("sealed int TgSealed() => TgHelper() + 1;");
        }

        w.AppendLine("}");
    }

    private static string DeclaredType(ParamSpec parameter) => parameter.Shape switch
    {
        Shape.SpanIn => "global::System.ReadOnlySpan<" + parameter.Type + ">",
        Shape.SpanOut or Shape.SpanInOut => "global::System.Span<" + parameter.Type + ">",
        _ => parameter.Type,
    };

    // ---- implementations and driver -------------------------------------------------------------------------------

    private static string Driver(Scenario scenario)
    {
        string q = scenario.Qualifier;
        bool nested = scenario.Nesting is Nesting.NestedInClass or Nesting.NestedInGenericClasses or Nesting.NestedInRecord;
        string access = nested ? "private" : "internal";
        var w = new StringBuilder();
        Open(w, scenario, declareTypes: false, document: false);
        Implementation(w, access, "TgServiceImpl", q + Id(scenario.Service.Name), scenario.Service, isService: true);
        Implementation(w, access, "TgDomainImpl", q + Id(scenario.Domain.Name), scenario.Domain, isService: false);
        Implementation(w, access, "TgHostImpl", q + Id(scenario.HostCalls.Name), scenario.HostCalls, isService: false);
        RunImplementation(w, access, q, scenario.HostCalls);

        w.AppendLine("[global::System.Obsolete]");
        w.AppendLine(access + " static class " + DriverName);
        w.AppendLine("{");
        w.AppendLine("public static async global::System.Threading.Tasks.Task RunAsync()");
        w.AppendLine("{");
        ServiceCalls(w, q, scenario.Service);
        DomainCalls(w, q, scenario.Domain);
        HostCalls(w, q, scenario.HostCalls);
        w.AppendLine("}");
        w.AppendLine("}");
        Close(w, scenario);
        return w.ToString();
    }

    private static string Field(int method, int parameter) => "R" + method + "_" + parameter;

    private static string Length(int method, int parameter) => "L" + method + "_" + parameter;

    private static string ReadOnlySpan(string element) => "global::System.ReadOnlySpan<" + element + ">";

    private static void Implementation(StringBuilder w, string access, string name, string contract, ContractSpec spec, bool isService)
    {
        w.AppendLine("[global::System.Obsolete]");
        w.AppendLine(access + " sealed class " + name + " : " + contract);
        w.AppendLine("{");
        for (int m = 0; m < spec.Methods.Length; m++)
        {
            for (int i = 0; i < spec.Methods[m].Parameters.Length; i++)
            {
                ParamSpec p = spec.Methods[m].Parameters[i];
                w.AppendLine(p.Shape is Shape.Value or Shape.Text
                    ? "public " + p.Type + " " + Field(m, i) + " = default!;"
                    : "public " + p.Type + "[] " + Field(m, i) + " = global::System.Array.Empty<" + p.Type + ">();");
                w.AppendLine("public int " + Length(m, i) + " = -1;");
            }
        }

        for (int m = 0; m < spec.Methods.Length; m++)
        {
            MethodSpec method = spec.Methods[m];
            if (method.DefaultBody)
            {
                continue; // the interface's body serves it
            }

            w.AppendLine("public " + (method.Return?.Type ?? "void") + " " + Id(method.Name) + "(" + string.Join(", ", method.Parameters.Select((p, i) => DeclaredType(p) + " p" + i)) + ")");
            w.AppendLine("{");
            string? destinationOutput = null;
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                ParamSpec p = method.Parameters[i];
                switch (p.Shape)
                {
                    case Shape.Value or Shape.Text:
                        w.AppendLine("this." + Field(m, i) + " = p" + i + ";");
                        break;
                    case Shape.SpanIn:
                        w.AppendLine("this." + Field(m, i) + " = p" + i + ".ToArray();");
                        break;
                    case Shape.SpanOut:
                        w.AppendLine("this." + Length(m, i) + " = p" + i + ".Length;");
                        w.AppendLine("new " + ReadOnlySpan(p.Type) + "(" + p.Output + ").CopyTo(p" + i + ");");
                        destinationOutput = p.Output;
                        break;
                    case Shape.SpanInOut:
                        w.AppendLine("this." + Field(m, i) + " = p" + i + ".ToArray();");
                        w.AppendLine("new " + ReadOnlySpan(p.Type) + "(" + p.Output + ").CopyTo(p" + i + ");");
                        break;
                }
            }

            if (isService && destinationOutput is not null)
            {
                w.AppendLine("return " + destinationOutput + ".Length;");
            }
            else if (method.Return is not null)
            {
                w.AppendLine("return " + method.Return.Value + ";");
            }

            w.AppendLine("}");
        }

        w.AppendLine("}");
    }

    // The domain side of the [HostCalls] round: calls every host method and keeps what came back.
    private static void RunImplementation(StringBuilder w, string access, string q, ContractSpec hostCalls)
    {
        w.AppendLine("[global::System.Obsolete]");
        w.AppendLine(access + " sealed class TgRunImpl : " + q + "ITgRun");
        w.AppendLine("{");
        w.AppendLine("private readonly " + q + Id(hostCalls.Name) + " _host;");
        w.AppendLine("public TgRunImpl(" + q + Id(hostCalls.Name) + " host) { this._host = host; }");
        for (int m = 0; m < hostCalls.Methods.Length; m++)
        {
            MethodSpec method = hostCalls.Methods[m];
            if (method.Return is not null)
            {
                w.AppendLine("public " + method.Return.Type + " Result" + m + " = default!;");
            }

            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (method.Parameters[i].Shape is Shape.SpanOut or Shape.SpanInOut)
                {
                    w.AppendLine("public " + method.Parameters[i].Type + "[] " + Field(m, i) + " = global::System.Array.Empty<" + method.Parameters[i].Type + ">();");
                }
            }
        }

        w.AppendLine("public void Run()");
        w.AppendLine("{");
        for (int m = 0; m < hostCalls.Methods.Length; m++)
        {
            MethodSpec method = hostCalls.Methods[m];
            w.AppendLine("{");
            List<string> arguments = BoundaryArguments(w, method);
            string call = "this._host." + Id(method.Name) + "(" + string.Join(", ", arguments) + ");";
            w.AppendLine(method.Return is null ? call : "this.Result" + m + " = " + call);
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (method.Parameters[i].Shape is Shape.SpanOut or Shape.SpanInOut)
                {
                    w.AppendLine("this." + Field(m, i) + " = a" + i + ";");
                }
            }

            w.AppendLine("}");
        }

        w.AppendLine("}");
        w.AppendLine("}");
    }

    // Declares a0..aN (output buffers, in-out copies) and returns the argument list of one trust-boundary call.
    private static List<string> BoundaryArguments(StringBuilder w, MethodSpec method)
    {
        var arguments = new List<string>();
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            ParamSpec p = method.Parameters[i];
            switch (p.Shape)
            {
                case Shape.SpanOut:
                    w.AppendLine(p.Type + "[] a" + i + " = new " + p.Type + "[" + p.Length + "];");
                    arguments.Add("a" + i);
                    break;
                case Shape.SpanInOut:
                    w.AppendLine(p.Type + "[] a" + i + " = " + p.Value + ";");
                    arguments.Add("a" + i);
                    break;
                default:
                    arguments.Add(p.Value);
                    break;
            }
        }

        return arguments;
    }

    private static string What(ContractSpec contract, MethodSpec method, string detail) => Literal(contract.Name + "." + method.Name + ": " + detail);

    // What the caller of a trust-boundary method sees in its buffers afterwards: the output over zeros, or over the input.
    private static string ExpectedBuffer(ParamSpec p)
        => p.Shape == Shape.SpanInOut
            ? "global::TgTest.Check.Overlay(" + p.Output + ", " + p.Value + ")"
            : "global::TgTest.Check.Overlay(" + p.Output + ", new " + p.Type + "[" + p.Length + "])";

    private static void ServiceCalls(StringBuilder w, string q, ContractSpec service)
    {
        string baseName = service.BaseName;
        w.AppendLine("global::TailGuard.R2P2.Simulation.InMemoryNetwork network = new global::TailGuard.R2P2.Simulation.InMemoryNetwork(seed: 7);");
        w.AppendLine("TgServiceImpl service = new TgServiceImpl();");
        w.AppendLine("global::TailGuard.R2P2.R2P2ServerOptions serverOptions = new global::TailGuard.R2P2.R2P2ServerOptions { ServedPolicies = new[] { global::TailGuard.R2P2.RoutingPolicy.LoadBalanced, global::TailGuard.R2P2.RoutingPolicy.Fixed, global::TailGuard.R2P2.RoutingPolicy.Replicated, global::TailGuard.R2P2.RoutingPolicy.ReplicatedReadOnly } };");
        w.AppendLine("await using (global::TailGuard.R2P2.R2P2Server server = new global::TailGuard.R2P2.R2P2Server(network.Bind(\"10.7.0.1:9000\"), new " + q + Id(baseName + "Dispatcher") + "(service), serverOptions))");
        w.AppendLine("await using (global::TailGuard.R2P2.R2P2Client r2p2 = new global::TailGuard.R2P2.R2P2Client(network.Bind(\"10.7.0.2:0\"), server.LocalAddress, new global::TailGuard.R2P2.R2P2ClientOptions { Timeout = global::System.TimeSpan.FromSeconds(30) }))");
        w.AppendLine("{");
        w.AppendLine(q + Id("I" + baseName + "Client") + " client = new " + q + Id(baseName + "Client") + "(r2p2);");
        for (int m = 0; m < service.Methods.Length; m++)
        {
            MethodSpec method = service.Methods[m];
            string stem = method.Name.EndsWith("Async", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - 5) : method.Name;
            // Alternate the per-call timeout between none (the client's) and an explicit one.
            string timeout = m % 2 == 0 ? "null" : "global::System.TimeSpan.FromSeconds(20)";
            w.AppendLine("{");
            var arguments = new List<string>();
            var leaseArguments = new List<string>();
            ParamSpec? destination = null;
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                ParamSpec p = method.Parameters[i];
                if (p.Shape == Shape.SpanOut)
                {
                    destination = p;
                    w.AppendLine("byte[] d = new byte[" + p.Length + "];");
                    arguments.Add("d");
                    leaseArguments.Add(Number(p.Length));
                }
                else
                {
                    arguments.Add(p.Value);
                    leaseArguments.Add(p.Value);
                }
            }

            string call = "await client." + Id(stem + "Async") + "(" + string.Join(", ", arguments.Append("default").Append(timeout)) + ")";
            w.AppendLine(method.Return is null ? call + ";" : "var result = " + call + ";");
            CheckArguments(w, service, method, m, "service");
            if (destination is not null)
            {
                w.AppendLine("global::TgTest.Check.Same<int>(" + destination.Output + ".Length, result, " + What(service, method, "the byte count") + ");");
                w.AppendLine("global::TgTest.Check.Sequence<byte>(global::TgTest.Check.Overlay(" + destination.Output + ", new byte[" + destination.Length + "]), d, " + What(service, method, "the destination") + ");");
                w.AppendLine("using (global::TailGuard.R2P2.R2P2ResultLease<int> lease = await client." + Id(stem + "LeaseAsync") + "(" + string.Join(", ", leaseArguments.Append("default").Append(timeout)) + "))");
                w.AppendLine("{");
                w.AppendLine("global::TgTest.Check.Same<int>(" + destination.Output + ".Length, lease.Result, " + What(service, method, "the leased byte count") + ");");
                w.AppendLine("global::TgTest.Check.Sequence<byte>(" + destination.Output + ", global::System.Buffers.BuffersExtensions.ToArray(lease.Bytes), " + What(service, method, "the leased bytes") + ");");
                w.AppendLine("}");
            }
            else if (method.Return is not null)
            {
                w.AppendLine("global::TgTest.Check.Same<" + method.Return.Type + ">(" + method.Return.Value + ", result, " + What(service, method, "the result") + ");");
            }

            w.AppendLine("}");
        }

        w.AppendLine("}");
    }

    // The implementation saw each argument as passed (and each output span with the caller's length).
    private static void CheckArguments(StringBuilder w, ContractSpec contract, MethodSpec method, int m, string implementation)
    {
        // A default body records nothing: its result is checked, its arguments cannot be.
        for (int i = 0; !method.DefaultBody && i < method.Parameters.Length; i++)
        {
            ParamSpec p = method.Parameters[i];
            string what = What(contract, method, "argument '" + p.Name + "'");
            switch (p.Shape)
            {
                case Shape.Value or Shape.Text:
                    w.AppendLine("global::TgTest.Check.Same<" + p.Type + ">(" + p.Value + ", " + implementation + "." + Field(m, i) + ", " + what + ");");
                    break;
                case Shape.SpanIn or Shape.SpanInOut:
                    w.AppendLine("global::TgTest.Check.Sequence<" + p.Type + ">(" + p.Value + ", " + implementation + "." + Field(m, i) + ", " + what + ");");
                    break;
                case Shape.SpanOut:
                    w.AppendLine("global::TgTest.Check.Same<int>(" + p.Length + ", " + implementation + "." + Length(m, i) + ", " + what + ");");
                    break;
            }
        }
    }

    private static void DomainCalls(StringBuilder w, string q, ContractSpec domain)
    {
        w.AppendLine("TgDomainImpl domain = new TgDomainImpl();");
        w.AppendLine("using (global::TailGuard.Boundary.TrustDomainHost<" + q + Id(domain.Name) + "> host = " + q + Id(domain.BaseName + "Boundary") + ".Host(domain))");
        w.AppendLine("{");
        w.AppendLine(q + Id(domain.Name) + " proxy = host.Proxy;");
        for (int m = 0; m < domain.Methods.Length; m++)
        {
            MethodSpec method = domain.Methods[m];
            w.AppendLine("{");
            List<string> arguments = BoundaryArguments(w, method);
            string call = "proxy." + Id(method.Name) + "(" + string.Join(", ", arguments) + ");";
            w.AppendLine(method.Return is null ? call : "var result = " + call);
            CheckArguments(w, domain, method, m, "domain");
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                ParamSpec p = method.Parameters[i];
                if (p.Shape is Shape.SpanOut or Shape.SpanInOut)
                {
                    w.AppendLine("global::TgTest.Check.Sequence<" + p.Type + ">(" + ExpectedBuffer(p) + ", a" + i + ", " + What(domain, method, "output '" + p.Name + "'") + ");");
                }
            }

            if (method.Return is not null)
            {
                w.AppendLine("global::TgTest.Check.Same<" + method.Return.Type + ">(" + method.Return.Value + ", result, " + What(domain, method, "the result") + ");");
            }

            w.AppendLine("}");
        }

        w.AppendLine("}");
    }

    private static void HostCalls(StringBuilder w, string q, ContractSpec hostCalls)
    {
        string contract = q + Id(hostCalls.Name);
        w.AppendLine("TgHostImpl hostSide = new TgHostImpl();");
        w.AppendLine("TgRunImpl? run = null;");
        w.AppendLine("using (global::TailGuard.Boundary.TrustDomainHost<" + q + "ITgRun> runner = global::TailGuard.Boundary.TrustDomainHost.Create<" + q + "ITgRun, " + q + "TgRunBoundary, " + contract + ", " + q + Id(hostCalls.BaseName + "Boundary") + ">(p => run = new TgRunImpl(p), hostSide))");
        w.AppendLine("{");
        w.AppendLine("runner.Proxy.Run();");
        w.AppendLine("}");
        w.AppendLine("global::TgTest.Check.Same<bool>(true, run is not null, \"the domain ran\");");
        for (int m = 0; m < hostCalls.Methods.Length; m++)
        {
            MethodSpec method = hostCalls.Methods[m];
            CheckArguments(w, hostCalls, method, m, "hostSide");
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                ParamSpec p = method.Parameters[i];
                if (p.Shape is Shape.SpanOut or Shape.SpanInOut)
                {
                    w.AppendLine("global::TgTest.Check.Sequence<" + p.Type + ">(" + ExpectedBuffer(p) + ", run!." + Field(m, i) + ", " + What(hostCalls, method, "output '" + p.Name + "'") + ");");
                }
            }

            if (method.Return is not null)
            {
                w.AppendLine("global::TgTest.Check.Same<" + method.Return.Type + ">(" + method.Return.Value + ", run!.Result" + m + ", " + What(hostCalls, method, "the result") + ");");
            }
        }
    }

    public const string CheckSource = """
        namespace TgTest
        {
            internal static class Check
            {
                public static void Same<T>(T expected, T actual, string what)
                {
                    if (!global::System.Collections.Generic.EqualityComparer<T>.Default.Equals(expected, actual))
                    {
                        throw new global::System.InvalidOperationException(what + ": expected " + Show(expected) + " but saw " + Show(actual));
                    }
                }

                public static void Sequence<T>(T[] expected, T[] actual, string what)
                {
                    bool same = expected.Length == actual.Length;
                    for (int i = 0; same && i < expected.Length; i++)
                    {
                        same = global::System.Collections.Generic.EqualityComparer<T>.Default.Equals(expected[i], actual[i]);
                    }

                    if (!same)
                    {
                        throw new global::System.InvalidOperationException(what + ": expected [" + string.Join(", ", expected) + "] but saw [" + string.Join(", ", actual) + "]");
                    }
                }

                // The first values of 'under' replaced by 'over': a buffer after an output shorter than it was written.
                public static T[] Overlay<T>(T[] over, T[] under)
                {
                    T[] result = (T[])under.Clone();
                    global::System.Array.Copy(over, result, over.Length);
                    return result;
                }

                private static string Show<T>(T value) => value is null ? "null" : "'" + value + "'";
            }
        }
        """;
}
