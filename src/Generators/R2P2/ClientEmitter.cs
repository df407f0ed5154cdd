using System.Collections.Generic;
using System.Linq;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;
using static TailGuard.Generators.R2P2.ValueCodec;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Emits <c>{Name}Client</c>: one pooled async method per service method. The arguments travel as a value-tuple state
/// to a cached static payload writer and the response to a cached static decoder; ServiceCall completes the caller's
/// task through pooled value-task sources, so a call allocates nothing in steady state (docs/r2p2-services.md).
/// </summary>
internal static class ClientEmitter
{
    private const string Response = "global::TailGuard.R2P2.R2P2Response";
    private const string Sequence = "global::System.Buffers.ReadOnlySequence<byte>";
    private const string Token = "global::System.Threading.CancellationToken";

    public static void Write(SourceWriter w, ServiceModel service)
    {
        w.Line("/// <summary>");
        w.Line("/// Calls <c>" + Xml(service.InterfaceDisplayName) + "</c> on an R2P2 server. Each method sends one request through the");
        w.Line("/// wrapped <see cref=\"global::TailGuard.R2P2.R2P2Client\"/> and completes with the decoded result; error responses");
        w.Line("/// raise <see cref=\"global::TailGuard.R2P2.R2P2ServiceException\"/>.");
        w.Line("/// </summary>");
        w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"TailGuard.Generators\", \"0.1.0\")]");
        w.Open(service.Accessibility + " sealed partial class " + service.ClientName);
        w.Line("private readonly global::TailGuard.R2P2.R2P2Client _client;");
        w.Line();
        w.Line("/// <summary>Creates a client that sends its calls through <paramref name=\"client\"/>.</summary>");
        w.Line("/// <param name=\"client\">The R2P2 client bound to the server or router.</param>");
        w.Open("public " + service.ClientName + "(global::TailGuard.R2P2.R2P2Client client)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(client);");
        w.Line("_client = client;");
        w.Close();

        foreach (MethodModel method in service.Methods)
        {
            w.Line();
            WriteMethod(w, service, method, lease: false);
            if (method.LeaseClientName.Length > 0)
            {
                w.Line();
                WriteMethod(w, service, method, lease: true);
            }

            w.Line();
            WritePayloadWriter(w, method);
            w.Line();
            WriteDecoder(w, method, lease: false);
            if (method.LeaseClientName.Length > 0)
            {
                w.Line();
                WriteDecoder(w, method, lease: true);
            }
        }

        w.Close();
    }

    private static void WriteMethod(SourceWriter w, ServiceModel service, MethodModel method, bool lease)
    {
        ParameterModel? destination = method.Parameters.FirstOrDefault(p => p.Value.Kind == ValueKind.Destination);
        string capacityName = destination is null ? string.Empty : destination.Name.TrimStart('@') + "Capacity";
        string resultType = lease
            ? "global::TailGuard.R2P2.R2P2ResultLease<int>"
            : method.Return.Kind == ValueKind.Void ? string.Empty : method.Return.TypeName;
        string taskType = resultType.Length == 0 ? "global::System.Threading.Tasks.ValueTask" : "global::System.Threading.Tasks.ValueTask<" + resultType + ">";

        w.Line("/// <summary>");
        w.Line("/// Calls <c>" + Xml(method.Name) + "</c> (method id " + MethodId(method.Id) + ", routing policy " + Policy(method.Policy).Substring("global::TailGuard.R2P2.RoutingPolicy.".Length) + ")"
            + (lease ? " and hands over the bytes it wrote as a lease on the receive buffers." : destination is null ? "." : " and copies the bytes it wrote into the destination."));
        w.Line("/// </summary>");
        var parameters = new List<string>();
        foreach (ParameterModel parameter in method.Parameters)
        {
            string bare = parameter.Name.TrimStart('@');
            if (parameter.Value.Kind == ValueKind.Destination)
            {
                if (lease)
                {
                    w.Line("/// <param name=\"" + capacityName + "\">How many bytes the server may write (at most " + Number(parameter.Value.MaxBytes) + ").</param>");
                    parameters.Add("int " + capacityName);
                }
                else
                {
                    w.Line("/// <param name=\"" + bare + "\">Receives the bytes the server wrote; its length is the capacity asked for (at most " + Number(parameter.Value.MaxBytes) + ").</param>");
                    parameters.Add("global::System.Memory<byte> " + parameter.Name);
                }
            }
            else
            {
                w.Line("/// <param name=\"" + bare + "\">The <c>" + Xml(bare) + "</c> argument.</param>");
                parameters.Add(ClientType(parameter.Value) + " " + parameter.Name);
            }
        }

        w.Line("/// <param name=\"" + method.CancellationTokenName + "\">Cancels the call.</param>");
        parameters.Add(Token + " " + method.CancellationTokenName + " = default");
        if (lease)
        {
            w.Line("/// <returns>The method's result and the bytes it wrote; dispose the lease to return the buffers.</returns>");
        }
        else if (resultType.Length > 0)
        {
            w.Line("/// <returns>The method's result.</returns>");
        }
        else
        {
            w.Line("/// <returns>A task that completes when the server has answered.</returns>");
        }

        w.Open("public " + taskType + " " + (lease ? method.LeaseClientName : method.ClientName) + "(" + string.Join(", ", parameters) + ")");

        var stateValues = new List<string>();
        foreach (ParameterModel parameter in method.Parameters)
        {
            string bare = parameter.Name.TrimStart('@');
            switch (parameter.Value.Kind)
            {
                case ValueKind.String:
                    w.Line(Stubs + "ArgumentGuard.Text(" + parameter.Name + ", " + Number(parameter.Value.MaxBytes) + ", nameof(" + parameter.Name + "));");
                    stateValues.Add(parameter.Name);
                    break;
                case ValueKind.Bytes when parameter.Value.MaxBytes != ValueClassifier.Unbounded:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + parameter.Name + ".Length, " + Number(parameter.Value.MaxBytes) + ", nameof(" + parameter.Name + "));");
                    stateValues.Add(parameter.Name);
                    break;
                case ValueKind.Destination when lease:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + capacityName + ", " + Number(parameter.Value.MaxBytes) + ", nameof(" + capacityName + "));");
                    stateValues.Add(capacityName);
                    break;
                case ValueKind.Destination:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + parameter.Name + ".Length, " + Number(parameter.Value.MaxBytes) + ", nameof(" + parameter.Name + "));");
                    stateValues.Add(parameter.Name + ".Length");
                    break;
                default:
                    stateValues.Add(parameter.Name);
                    break;
            }

            _ = bare;
        }

        w.Line(StateType(method) + " __state = " + StateValue(method, stateValues) + ";");
        string call = "_client.CallAsync(in __state, s_write" + method.Name + ", " + Policy(method.Policy) + ", " + method.CancellationTokenName + ")";
        if (lease)
        {
            w.Line("return " + Stubs + "ServiceCall.Complete(" + call + ", " + capacityName + ", s_decode" + method.Name + "Lease, decoderOwnsResponse: true);");
        }
        else if (resultType.Length == 0)
        {
            w.Line("return " + Stubs + "ServiceCall.CompleteVoid(" + call + ", s_decode" + method.Name + ");");
        }
        else
        {
            string decoderState = destination is null ? "default(global::System.ValueTuple)" : destination.Name;
            w.Line("return " + Stubs + "ServiceCall.Complete(" + call + ", " + decoderState + ", s_decode" + method.Name + ");");
        }

        w.Close();
    }

    private static void WritePayloadWriter(SourceWriter w, MethodModel method)
    {
        string state = StateType(method);
        w.Line("private static readonly global::TailGuard.R2P2.R2P2PayloadWriter<" + state + "> s_write" + method.Name + " = Write" + method.Name + ";");
        w.Line();
        w.Open("private static void Write" + method.Name + "(global::System.Buffers.IBufferWriter<byte> output, in " + state + " state)");
        w.Line(Stubs + "PayloadWriter __writer = new " + Stubs + "PayloadWriter(output);");
        w.Line("__writer.WriteUInt16(" + MethodId(method.Id) + ");");
        for (int i = 0; i < method.Parameters.Count; i++)
        {
            w.Line(ValueCodec.Write("__writer", method.Parameters[i].Value, "state.Item" + Number(i + 1)));
        }

        w.Line("__writer.Flush();");
        w.Close();
    }

    private static void WriteDecoder(SourceWriter w, MethodModel method, bool lease)
    {
        bool hasDestination = method.Parameters.Any(p => p.Value.Kind == ValueKind.Destination);
        bool isVoid = method.Return.Kind == ValueKind.Void;
        string name = "Decode" + method.Name + (lease ? "Lease" : string.Empty);
        string resultType = lease ? "global::TailGuard.R2P2.R2P2ResultLease<int>" : isVoid ? "global::System.ValueTuple" : method.Return.TypeName;
        string stateType = lease ? "int" : hasDestination ? "global::System.Memory<byte>" : "global::System.ValueTuple";
        string stateName = lease ? "capacity" : hasDestination ? "destination" : "unused";
        w.Line("private static readonly " + Stubs + "ResponseDecoder<" + stateType + ", " + resultType + "> s_decode" + method.Name + (lease ? "Lease" : string.Empty) + " = " + name + ";");
        w.Line();
        w.Open("private static " + resultType + " " + name + "(in " + Response + " response, in " + stateType + " " + stateName + ")");
        w.Line(Sequence + " __sequence = response.Payload;");
        if (lease)
        {
            w.Line("int __result;");
            w.Line("int __offset;");
            w.Line("int __length;");
            w.Open("using (" + Stubs + "ContiguousPayload __payload = new " + Stubs + "ContiguousPayload(in __sequence))");
            w.Line(Stubs + "PayloadReader __reader = new " + Stubs + "PayloadReader(__payload.Span);");
            w.Line(Stubs + "ServiceResponse.ReadOk(ref __reader);");
            w.Open("if (!__reader.TryReadInt32(out __result) || !__reader.TryReadBytes(out " + ReadOnlyBytes + " __bytes, capacity))");
            w.Line("throw " + Stubs + "ServiceResponse.MalformedResponse();");
            w.Close();
            w.Line();
            w.Line("__length = __bytes.Length;");
            w.Line("__offset = __reader.Consumed - __length;");
            w.Close();
            w.Line();
            w.Line("return new global::TailGuard.R2P2.R2P2ResultLease<int>(__result, __sequence.Slice(__offset, __length), response);");
            w.Close();
            return;
        }

        w.Line("using " + Stubs + "ContiguousPayload __payload = new " + Stubs + "ContiguousPayload(in __sequence);");
        w.Line(Stubs + "PayloadReader __reader = new " + Stubs + "PayloadReader(__payload.Span);");
        w.Line(Stubs + "ServiceResponse.ReadOk(ref __reader);");
        if (isVoid)
        {
            w.Line("return default;");
            w.Close();
            return;
        }

        if (hasDestination)
        {
            w.Open("if (!__reader.TryReadInt32(out int __result) || !__reader.TryReadBytes(out " + ReadOnlyBytes + " __bytes, destination.Length))");
            w.Line("throw " + Stubs + "ServiceResponse.MalformedResponse();");
            w.Close();
            w.Line();
            w.Line("__bytes.CopyTo(destination.Span);");
            w.Line("return __result;");
            w.Close();
            return;
        }

        w.Open("if (!" + TryRead("__reader", method.Return, "__result", "__raw") + ")");
        w.Line("throw " + Stubs + "ServiceResponse.MalformedResponse();");
        w.Close();
        w.Line();
        w.Line(method.Return.Kind == ValueKind.Enum ? "return (" + method.Return.TypeName + ")__raw;" : "return __result;");
        w.Close();
    }

    private static string StateType(MethodModel method) => method.Parameters.Count switch
    {
        0 => "global::System.ValueTuple",
        1 => "global::System.ValueTuple<" + ClientType(method.Parameters[0].Value) + ">",
        _ => "(" + string.Join(", ", method.Parameters.Select(p => ClientType(p.Value))) + ")",
    };

    private static string StateValue(MethodModel method, List<string> values) => values.Count switch
    {
        0 => "default(global::System.ValueTuple)",
        1 => "new " + StateType(method) + "(" + values[0] + ")",
        _ => "(" + string.Join(", ", values) + ")",
    };

    private static string Xml(string text) => XmlDocText.Escape(text);
}
