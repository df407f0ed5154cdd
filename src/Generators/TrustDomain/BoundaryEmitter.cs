using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TailGuard.Generators.Common;
using TailGuard.Generators.TrustDomain.Model;

namespace TailGuard.Generators.TrustDomain;

/// <summary>
/// Emits, from the model only, <c>{Name}Boundary</c> (the frame layout and the binding), <c>{Name}Proxy</c> (the caller
/// side) and <c>{Name}Entry</c> (the callee side). For [TrustDomain] the host is the caller; for [HostCalls] the domain.
/// Generated identifiers never collide with the user's: slot fields are <c>M{id}_{parameter}</c> (an injective
/// pattern no other generated member matches), the proxy implements the interface explicitly (its methods occupy no
/// member names), its field and locals are claimed through <see cref="NameScope"/>, and the entry's locals are
/// generated names only.
/// </summary>
internal static class BoundaryEmitter
{
    private const string Runtime = "global::TailGuard.Boundary.";

    public static string Emit(BoundaryModel model)
    {
        var w = new SourceWriter();
        w.FileHeader(model.IsHostCalls ? "HostCalls" : "TrustDomain", model.InterfaceDisplayName, model.ObsoleteDiagnosticIds);
        w.OpenNamespaceAndContainingTypes(model.Namespace, model.ContainingTypes);

        EmitBoundary(w, model);
        w.Line();
        EmitProxy(w, model);
        w.Line();
        EmitEntry(w, model);

        w.CloseContainingTypes(model.ContainingTypes);
        return w.ToString();
    }

    private static string BoundaryName(BoundaryModel model) => model.BaseName + "Boundary";

    private static string ProxyName(BoundaryModel model) => model.BaseName + "Proxy";

    private static string EntryName(BoundaryModel model) => model.BaseName + "Entry";

    // Where a user parameter could shadow the simple name, generated code names its sibling types in full.
    private static string Qualified(BoundaryModel model, string typeName) => model.Qualifier + typeName;

    private static string Slot(BoundaryMethod method, BoundaryParameter parameter) => "M" + Id(method) + "_" + parameter.Name;

    private static string PresentSlot(BoundaryMethod method, BoundaryParameter parameter) => "M" + Id(method) + "Present_" + parameter.Name;

    private static string Id(BoundaryMethod method) => method.Id.ToString(CultureInfo.InvariantCulture);

    private static string Helper(BoundaryMethod method) => method.Obsolete.Length == 0 ? string.Empty : ObsoleteAttributeText.Marker;

    private static string SlotSize(BoundaryParameter parameter) => parameter.Kind switch
    {
        BoundaryKind.Scalar => Runtime + "CallFrame.SlotSize<" + parameter.TypeName + ">()",
        BoundaryKind.Flag => Runtime + "CallFrame.SlotSize<bool>()",
        _ => Runtime + "CallFrame.DescriptorSize",
    };

    private static string? DataSize(BoundaryParameter parameter) => parameter.Kind switch
    {
        BoundaryKind.Scalar or BoundaryKind.Flag => null,
        BoundaryKind.String => Runtime + "CallFrame.StringSize(" + Bound(parameter) + ")",
        _ => Runtime + "CallFrame.BufferSize<" + parameter.TypeName + ">(" + Bound(parameter) + ")",
    };

    private static string Bound(BoundaryParameter parameter) => parameter.Bound.ToString(CultureInfo.InvariantCulture);

    private static void EmitBoundary(SourceWriter w, BoundaryModel model)
    {
        string direction = model.IsHostCalls ? "the domain calls the host" : "the host calls the domain";
        w.Line("/// <summary>The trust-boundary layout and binding of <see cref=\"" + model.InterfaceCref + "\"/> (" + direction + "): slot offsets in the call frame and the sizes derived from the declared bounds.</summary>");
        w.TypeAttributes(model.Obsolete);
        w.Line("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        w.Open(model.Accessibility + " sealed partial class " + BoundaryName(model) + " : " + Runtime + "ITrustDomainBinding<" + model.InterfaceName + ">");

        var contract = new List<string> { (model.IsHostCalls ? "[HostCalls] " : "[TrustDomain] ") + model.InterfaceDisplayName };
        contract.AddRange(model.Methods.Select(m => Id(m) + " " + m.Signature));
        w.Line("/// <summary>The contract, as measured into the domain's code.</summary>");
        w.Line("public const string Contract = " + CSharpNames.Literal(string.Join("\n", contract)) + ";");
        w.Line();

        var frameEnds = new List<string>();
        var dataSizes = new List<string>();
        int maxParameters = 0;
        foreach (BoundaryMethod method in model.Methods)
        {
            string previous = Runtime + "CallFrame.HeaderSize" + (method.ReturnType.Length == 0
                ? string.Empty
                : " + " + Runtime + "CallFrame.SlotSize<" + (method.ReturnsFlag ? "bool" : method.ReturnType) + ">()");
            var data = new List<string>();
            int slots = 0;
            foreach (BoundaryParameter parameter in method.Parameters)
            {
                if (parameter.IsNullable)
                {
                    // A nullable string: its presence flag, then its descriptor (read only when the flag is set).
                    w.Attribute(Helper(method));
                    w.Line("internal static readonly int " + PresentSlot(method, parameter) + " = " + previous + ";");
                    previous = PresentSlot(method, parameter) + " + " + Runtime + "CallFrame.SlotSize<bool>()";
                    slots++;
                }

                w.Attribute(Helper(method));
                w.Line("internal static readonly int " + Slot(method, parameter) + " = " + previous + ";");
                previous = Slot(method, parameter) + " + " + SlotSize(parameter);
                slots++;
                if (DataSize(parameter) is { } size)
                {
                    data.Add(size);
                }
            }

            w.Attribute(Helper(method));
            w.Line("internal static readonly int M" + Id(method) + "End = " + previous + ";");
            w.Attribute(Helper(method));
            w.Line("internal static readonly int M" + Id(method) + "Data = " + (data.Count == 0 ? "0" : string.Join(" + ", data)) + ";");
            frameEnds.Add("M" + Id(method) + "End");
            dataSizes.Add("M" + Id(method) + "Data");
            maxParameters = System.Math.Max(maxParameters, slots);
        }

        w.Line();
        w.Line("private static readonly " + Runtime + "BoundaryLayout s_layout = new(");
        w.Indent();
        w.Line("Contract,");
        w.Line(Max(frameEnds, Runtime + "CallFrame.HeaderSize") + ",");
        w.Line(Max(dataSizes, "0") + ",");
        w.Line(maxParameters.ToString(CultureInfo.InvariantCulture) + ");");
        w.Unindent();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static " + Runtime + "BoundaryLayout Layout => s_layout;");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static " + Runtime + "BoundaryEntry CreateEntry(" + model.InterfaceName + " implementation, " + Runtime + "BoundaryRegion region) => new " + Qualified(model, EntryName(model)) + "(implementation, region);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static " + model.InterfaceName + " CreateProxy(" + Runtime + "BoundaryChannel channel) => new " + Qualified(model, ProxyName(model)) + "(channel);");
        if (!model.IsHostCalls)
        {
            w.Line();
            w.Line("/// <summary>Creates a sealed trust domain serving <paramref name=\"implementation\"/> and returns its host (with the proxy and the attestation).</summary>");
            w.Line("/// <param name=\"implementation\">The implementation that lives in the domain.</param>");
            w.Line("/// <param name=\"options\">Hosting options, or null for the defaults (a new simulated monitor).</param>");
            w.Line("/// <returns>The host; dispose it to revoke the domain.</returns>");
            w.Line("public static " + Runtime + "TrustDomainHost<" + model.InterfaceName + "> Host(" + model.InterfaceName + " implementation, " + Runtime + "TrustDomainHostOptions? options = null)");
            w.Line("    => " + Runtime + "TrustDomainHost.Create<" + model.InterfaceName + ", " + Qualified(model, BoundaryName(model)) + ">(implementation, options);");
        }

        w.Close();
    }

    private static string Max(List<string> values, string none)
    {
        if (values.Count == 0)
        {
            return none;
        }

        string result = values[0];
        for (int index = 1; index < values.Count; index++)
        {
            result = "global::System.Math.Max(" + result + ", " + values[index] + ")";
        }

        return result;
    }

    // The parameter list exactly as the interface declares it (an explicit implementation must match it).
    private static string ParameterList(BoundaryMethod method)
        => string.Join(", ", method.Parameters.Select(p => (p.IsScoped ? "scoped " : string.Empty) + p.Kind switch
        {
            BoundaryKind.In or BoundaryKind.UserCheck => "global::System.ReadOnlySpan<" + p.TypeName + "> " + p.Identifier,
            BoundaryKind.Out or BoundaryKind.InOut or BoundaryKind.UserCheckWritable => "global::System.Span<" + p.TypeName + "> " + p.Identifier,
            BoundaryKind.String when p.IsNullable => "string? " + p.Identifier,
            _ => p.TypeName + " " + p.Identifier,
        }));

    private static void EmitProxy(SourceWriter w, BoundaryModel model)
    {
        string boundary = Qualified(model, BoundaryName(model));
        string caller = model.IsHostCalls ? "domain" : "host";
        var members = new NameScope(model.ScopeNames.Concat(new[] { BoundaryName(model), ProxyName(model), EntryName(model) }));
        string channel = members.Claim("_channel");
        w.Line("/// <summary>The " + caller + "'s proxy to <see cref=\"" + model.InterfaceCref + "\"/>: writes each call's frame into the shared region, switches, and validates the status and every returned length before the caller sees a result.</summary>");
        w.TypeAttributes(model.Obsolete);
        w.Open(model.Accessibility + " sealed partial class " + ProxyName(model) + " : " + model.InterfaceName);
        w.Line("private readonly " + Runtime + "BoundaryChannel " + channel + ";");
        w.Line();
        w.Line("/// <summary>Creates the proxy over the caller's end of the boundary.</summary>");
        w.Line("/// <param name=\"channel\">The channel.</param>");
        w.Open("public " + ProxyName(model) + "(" + Runtime + "BoundaryChannel channel)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(channel);");
        w.Line("this." + channel + " = channel;");
        w.Close();

        foreach (BoundaryMethod method in model.Methods)
        {
            string call = members.With(method.Parameters.Select(p => p.Name)).Claim("__call");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Attribute(Helper(method));
            w.Open((method.ReturnType.Length == 0 ? "void" : method.ReturnType) + " " + model.InterfaceName + "." + CSharpNames.Identifier(method.Name) + "(" + ParameterList(method) + ")");
            w.Line(Runtime + "ProxyCall " + call + " = " + Runtime + "ProxyCall.Begin(this." + channel + ", " + Id(method) + "u);");
            w.Open("try");
            foreach (BoundaryParameter p in method.Parameters)
            {
                string slot = boundary + "." + Slot(method, p);
                string name = CSharpNames.Literal(p.Name);
                switch (p.Kind)
                {
                    case BoundaryKind.Scalar:
                        w.Line(call + ".Scalar<" + p.TypeName + ">(" + slot + ", " + p.Identifier + ");");
                        break;
                    case BoundaryKind.Flag:
                        w.Line(call + ".Scalar<bool>(" + slot + ", " + p.Identifier + ");");
                        break;
                    case BoundaryKind.String when p.IsNullable:
                        w.Line(call + ".Scalar<bool>(" + boundary + "." + PresentSlot(method, p) + ", " + p.Identifier + " is not null);");
                        w.Open("if (" + p.Identifier + " is not null)");
                        w.Line(call + ".Utf8String(" + slot + ", " + p.Identifier + ", " + Bound(p) + ", " + name + ");");
                        w.Close();
                        break;
                    case BoundaryKind.String:
                        w.Line(call + ".Utf8String(" + slot + ", " + p.Identifier + ", " + Bound(p) + ", " + name + ");");
                        break;
                    case BoundaryKind.Out:
                        w.Line(call + ".Out<" + p.TypeName + ">(" + slot + ", " + p.Identifier + ".Length, " + Bound(p) + ", " + name + ");");
                        break;
                    default:
                        w.Line(call + ".In<" + p.TypeName + ">(" + slot + ", " + p.Identifier + ", " + Bound(p) + ", " + name + ");");
                        break;
                }
            }

            w.Line(call + ".Invoke();");
            foreach (BoundaryParameter p in method.Parameters.Where(p => p.Kind is BoundaryKind.Out or BoundaryKind.InOut or BoundaryKind.UserCheckWritable))
            {
                w.Line(call + ".CopyOut<" + p.TypeName + ">(" + boundary + "." + Slot(method, p) + ", " + p.Identifier + ");");
            }

            if (method.ReturnType.Length > 0)
            {
                w.Line(method.ReturnsFlag ? "return " + call + ".FlagResult();" : "return " + call + ".Result<" + method.ReturnType + ">();");
            }

            w.Close();
            w.Open("finally");
            w.Line(call + ".End();");
            w.Close();
            w.Close();
        }

        w.Close();
    }

    private static void EmitEntry(SourceWriter w, BoundaryModel model)
    {
        string boundary = Qualified(model, BoundaryName(model));
        string callee = model.IsHostCalls ? "host" : "domain";
        var members = new NameScope(model.ScopeNames.Concat(new[] { BoundaryName(model), ProxyName(model), EntryName(model), "Dispatch" }));
        string implementation = members.Claim("_implementation");
        w.Line("/// <summary>The " + callee + "-side entry of <see cref=\"" + model.InterfaceCref + "\"/>: validates each frame from its private copy, copies every input once into private memory, fences, calls the implementation and copies the results out.</summary>");
        w.TypeAttributes(model.Obsolete);
        w.Open(model.Accessibility + " sealed partial class " + EntryName(model) + " : " + Runtime + "BoundaryEntry");
        w.Line("private readonly " + model.InterfaceName + " " + implementation + ";");
        w.Line();
        w.Line("/// <summary>Creates the entry around the implementation.</summary>");
        w.Line("/// <param name=\"implementation\">The implementation.</param>");
        w.Line("/// <param name=\"region\">Where the shared region and the private memory are.</param>");
        w.Line("public " + EntryName(model) + "(" + model.InterfaceName + " implementation, " + Runtime + "BoundaryRegion region)");
        w.Open("    : base(" + boundary + ".Layout, region)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(implementation);");
        w.Line("this." + implementation + " = implementation;");
        w.Close();

        var handlers = model.Methods.Select(m => members.Claim("Call" + Id(m))).ToList();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("protected override " + Runtime + "CallStatus Dispatch(ref " + Runtime + "EntryCall frame)");
        w.Open("switch (frame.MethodId)");
        for (int i = 0; i < model.Methods.Count; i++)
        {
            w.Line("case " + Id(model.Methods[i]) + "u: return this." + handlers[i] + "(ref frame);");
        }

        w.Line("default: return " + Runtime + "CallStatus.UnknownMethod;");
        w.Close();
        w.Close();

        for (int i = 0; i < model.Methods.Count; i++)
        {
            BoundaryMethod method = model.Methods[i];
            w.Line();
            w.Attribute(Helper(method));
            w.Open("private " + Runtime + "CallStatus " + handlers[i] + "(ref " + Runtime + "EntryCall __frame)");
            var arguments = new List<string>();
            for (int index = 0; index < method.Parameters.Count; index++)
            {
                BoundaryParameter p = method.Parameters[index];
                string local = "__arg" + index.ToString(CultureInfo.InvariantCulture);
                string slot = boundary + "." + Slot(method, p);
                arguments.Add(local);
                w.Line(p.Kind switch
                {
                    BoundaryKind.Scalar => p.TypeName + " " + local + " = __frame.Scalar<" + p.TypeName + ">(" + slot + ");",
                    BoundaryKind.Flag => "bool " + local + " = __frame.Flag(" + slot + ");",
                    BoundaryKind.String when p.IsNullable => "string? " + local + " = __frame.Flag(" + boundary + "." + PresentSlot(method, p) + ") ? __frame.Utf8String(" + slot + ", " + Bound(p) + ") : null;",
                    BoundaryKind.String => "string " + local + " = __frame.Utf8String(" + slot + ", " + Bound(p) + ");",
                    BoundaryKind.In => "global::System.ReadOnlySpan<" + p.TypeName + "> " + local + " = __frame.In<" + p.TypeName + ">(" + slot + ", " + Bound(p) + ");",
                    BoundaryKind.Out => "global::System.Span<" + p.TypeName + "> " + local + " = __frame.Out<" + p.TypeName + ">(" + slot + ", " + Bound(p) + ");",
                    BoundaryKind.InOut => "global::System.Span<" + p.TypeName + "> " + local + " = __frame.InOut<" + p.TypeName + ">(" + slot + ", " + Bound(p) + ");",
                    _ => "global::System.Span<byte> " + local + " = __frame.UserCheck(" + slot + ", " + Bound(p) + ");",
                });
            }

            w.Line(Runtime + "EntryCall.Fence();");
            string invocation = "this." + implementation + "." + CSharpNames.Identifier(method.Name) + "(" + string.Join(", ", arguments) + ");";
            w.Line(method.ReturnType.Length == 0 ? invocation : (method.ReturnsFlag ? "bool" : method.ReturnType) + " __result = " + invocation);
            w.Line("__frame.EnsureRegionHeld();");
            for (int index = 0; index < method.Parameters.Count; index++)
            {
                BoundaryParameter p = method.Parameters[index];
                if (p.Kind is BoundaryKind.Out or BoundaryKind.InOut or BoundaryKind.UserCheckWritable)
                {
                    w.Line("__frame.CopyOut<" + p.TypeName + ">(" + boundary + "." + Slot(method, p) + ", " + arguments[index] + ");");
                }
            }

            if (method.ReturnType.Length > 0)
            {
                w.Line("__frame.Return<" + (method.ReturnsFlag ? "bool" : method.ReturnType) + ">(__result);");
            }

            w.Line("return " + Runtime + "CallStatus.Ok;");
            w.Close();
        }

        w.Close();
    }
}
