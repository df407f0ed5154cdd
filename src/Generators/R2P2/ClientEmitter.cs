using System.Collections.Generic;
using System.Linq;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;
using static TailGuard.Generators.R2P2.ValueCodec;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Emits <c>I{Name}Client</c> (the calls, as an interface users can mock) and <c>{Name}Client</c>, which implements it
/// with one pooled async method per service method. The arguments travel as a value-tuple state to a cached static
/// payload writer and the response to a cached static decoder; ServiceCall completes the caller's task through pooled
/// value-task sources, so a call allocates nothing in steady state (docs/r2p2-services.md). A non-replicated client can
/// also be made over an R2P2CallBatch: then each call is the batch's CallAsync with the same writer and state.
/// </summary>
internal static class ClientEmitter
{
    private const string Response = "global::TailGuard.R2P2.R2P2Response";
    private const string Sequence = "global::System.Buffers.ReadOnlySequence<byte>";
    private const string Token = "global::System.Threading.CancellationToken";
    private const string TimeSpan = "global::System.TimeSpan?";
    private const string Lease = "global::TailGuard.R2P2.R2P2ResultLease<int>";
    private const string ReplicatedClient = "global::TailGuard.Replication.ReplicatedClient";
    private const string Batch = "global::TailGuard.R2P2.R2P2CallBatch";

    public static void WriteInterface(SourceWriter w, ServiceModel service, ServiceNames names)
    {
        w.Line("/// <summary>");
        w.Line("/// The calls of <see cref=\"" + service.InterfaceCref + "\"/> as <see cref=\"" + service.ContainerCref + service.ClientName + "\"/> makes them over");
        w.Line("/// R2P2. Depend on this interface to replace the network in tests (mock it).");
        w.Line("/// </summary>");
        w.TypeAttributes(service.Obsolete);
        w.Open(service.Accessibility + " partial interface " + service.ClientInterfaceName);
        for (int i = 0; i < service.Methods.Count; i++)
        {
            MethodModel method = service.Methods[i];
            if (i > 0)
            {
                w.Line();
            }

            WriteSignature(w, method, names.Methods[i], lease: false, isInterface: true);
            if (method.LeaseClientName.Length > 0)
            {
                w.Line();
                WriteSignature(w, method, names.Methods[i], lease: true, isInterface: true);
            }
        }

        w.Close();
    }

    public static void WriteClass(SourceWriter w, ServiceModel service, ServiceNames names)
    {
        // A replicated service's calls go through a ReplicatedClient: fan-out to every replica, retries with one
        // sequence number (docs/replication.md). Its CallAsync overloads have the R2P2Client's shape.
        string clientType = service.Replicated ? ReplicatedClient : "global::TailGuard.R2P2.R2P2Client";
        w.Line("/// <summary>");
        if (service.Replicated)
        {
            w.Line("/// Calls the replicated service <see cref=\"" + service.InterfaceCref + "\"/>. Each method sends one call through the");
            w.Line("/// wrapped <see cref=\"" + ReplicatedClient + "\"/> (to every replica, retried until answered) and completes with the");
            w.Line("/// decoded result; error responses raise <see cref=\"global::TailGuard.R2P2.R2P2ServiceException\"/>.");
        }
        else
        {
            w.Line("/// Calls <see cref=\"" + service.InterfaceCref + "\"/> on an R2P2 server. Each method sends one request through the");
            w.Line("/// wrapped <see cref=\"global::TailGuard.R2P2.R2P2Client\"/> and completes with the decoded result; error responses");
            w.Line("/// raise <see cref=\"global::TailGuard.R2P2.R2P2ServiceException\"/>.");
        }

        w.Line("/// </summary>");
        w.TypeAttributes(service.Obsolete);
        w.Open(service.Accessibility + " sealed partial class " + service.ClientName + " : " + service.ClientInterfaceName);
        w.Line("private readonly " + clientType + " " + names.Client + ";");
        if (!service.Replicated)
        {
            w.Line();
            w.Line("private readonly " + Batch + "? " + names.Batch + ";");
        }

        w.Line();
        w.Line("/// <summary>Creates a client that sends its calls through <paramref name=\"client\"/>.</summary>");
        w.Line(service.Replicated
            ? "/// <param name=\"client\">The replicated client bound to the service's replicas.</param>"
            : "/// <param name=\"client\">The R2P2 client bound to the server or router.</param>");
        w.Open("public " + service.ClientName + "(" + clientType + " client)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(client);");
        w.Line("this." + names.Client + " = client;");
        w.Close();
        if (!service.Replicated)
        {
            // The batch form (docs/r2p2-services.md, "Calls that leave together"): the same calls, queued in the batch.
            w.Line();
            w.Line("/// <summary>");
            w.Line("/// Creates a client whose calls queue their first packets in <paramref name=\"batch\"/>: each call starts at once (its request");
            w.Line("/// id, its timer), and its request leaves with the batch's others at <see cref=\"" + Batch + ".Flush\"/>, in one");
            w.Line("/// transport send. Like the batch, for one sending thread at a time.");
            w.Line("/// </summary>");
            w.Line("/// <param name=\"batch\">A batch of the R2P2 client bound to the server or router (<see cref=\"global::TailGuard.R2P2.R2P2Client.CreateBatch\"/>).</param>");
            w.Open("public " + service.ClientName + "(" + Batch + " batch)");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(batch);");
            w.Line("this." + names.Client + " = batch.Client;");
            w.Line("this." + names.Batch + " = batch;");
            w.Close();
        }

        for (int i = 0; i < service.Methods.Count; i++)
        {
            MethodModel method = service.Methods[i];
            MethodNames methodNames = names.Methods[i];
            w.Line();
            WriteMethod(w, method, methodNames, names, lease: false);
            if (method.LeaseClientName.Length > 0)
            {
                w.Line();
                WriteMethod(w, method, methodNames, names, lease: true);
            }

            w.Line();
            WritePayloadWriter(w, service, method, methodNames, i);
            w.Line();
            WriteDecoder(w, method, methodNames, lease: false);
            if (method.LeaseClientName.Length > 0)
            {
                w.Line();
                WriteDecoder(w, method, methodNames, lease: true);
            }
        }

        w.Close();
    }

    // The docs, [Obsolete] and signature of a client method; the interface's ends with ';', the class's opens its body.
    private static void WriteSignature(SourceWriter w, MethodModel method, MethodNames names, bool lease, bool isInterface)
    {
        string resultType = lease ? Lease : method.Return.Kind == ValueKind.Void ? string.Empty : method.Return.DeclaredTypeName;
        string taskType = resultType.Length == 0 ? "global::System.Threading.Tasks.ValueTask" : "global::System.Threading.Tasks.ValueTask<" + resultType + ">";
        var parameters = new List<string>();
        if (isInterface)
        {
            w.Line("/// <inheritdoc cref=\"" + method.Cref + "\"/>");
        }
        else
        {
            w.Line("/// <inheritdoc/>");
        }

        foreach (ParameterModel parameter in method.Parameters)
        {
            string name = CSharpNames.Identifier(parameter.Name);
            if (parameter.Value.Kind == ValueKind.Destination && lease)
            {
                Doc(w, isInterface, names.Capacity, "How many bytes the server may write (at most " + Number(parameter.Value.MaxBytes) + ").");
                parameters.Add("int " + names.Capacity);
            }
            else if (parameter.Value.Kind == ValueKind.Destination)
            {
                Doc(w, isInterface, parameter.Name, "Receives the bytes the server wrote; its length is the capacity asked for (at most " + Number(parameter.Value.MaxBytes) + ").");
                parameters.Add("global::System.Memory<byte> " + name);
            }
            else
            {
                Doc(w, isInterface, parameter.Name, "<inheritdoc cref=\"" + method.Cref + "\" path=\"/param[@name='" + XmlDocText.EscapeAttribute(parameter.Name) + "']/node()\"/>");
                parameters.Add(ClientType(parameter.Value) + " " + name);
            }
        }

        Doc(w, isInterface, names.CancellationToken, "Cancels the call.");
        Doc(w, isInterface, names.Timeout, "This call's timeout; null (the default) uses the timeout of the wrapped client's options.");
        parameters.Add(Token + " " + names.CancellationToken + " = default");
        parameters.Add(TimeSpan + " " + names.Timeout + " = null");
        if (isInterface && lease)
        {
            w.Line("/// <returns>The method's result and the bytes it wrote, as a lease on the receive buffers; dispose it to return them.</returns>");
        }

        w.Attribute(method.Obsolete);
        string methodName = lease ? method.LeaseClientName : method.ClientName;
        string signature = taskType + " " + methodName + "(" + string.Join(", ", parameters) + ")";
        if (isInterface)
        {
            w.Line(signature + ";");
        }
        else
        {
            w.Open("public " + signature);
        }
    }

    private static void Doc(SourceWriter w, bool isInterface, string parameter, string text)
    {
        if (isInterface)
        {
            w.Line("/// <param name=\"" + XmlDocText.EscapeAttribute(parameter) + "\">" + text + "</param>");
        }
    }

    private static void WriteMethod(SourceWriter w, MethodModel method, MethodNames names, ServiceNames service, bool lease)
    {
        WriteSignature(w, method, names, lease, isInterface: false);
        ParameterModel? destination = method.Parameters.FirstOrDefault(p => p.Value.Kind == ValueKind.Destination);
        var stateValues = new List<string>();
        foreach (ParameterModel parameter in method.Parameters)
        {
            string name = CSharpNames.Identifier(parameter.Name);
            string literal = CSharpNames.Literal(parameter.Name);
            switch (parameter.Value.Kind)
            {
                case ValueKind.String when parameter.Value.IsNullable:
                    w.Open("if (" + name + " is not null)");
                    w.Line(Stubs + "ArgumentGuard.Text(" + name + ", " + Number(parameter.Value.MaxBytes) + ", " + literal + ");");
                    w.Close();
                    stateValues.Add(name);
                    break;
                case ValueKind.String:
                    w.Line(Stubs + "ArgumentGuard.Text(" + name + ", " + Number(parameter.Value.MaxBytes) + ", " + literal + ");");
                    stateValues.Add(name);
                    break;
                case ValueKind.Bytes when parameter.Value.MaxBytes != ValueClassifier.Unbounded:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + name + ".Length, " + Number(parameter.Value.MaxBytes) + ", " + literal + ");");
                    stateValues.Add(name);
                    break;
                case ValueKind.Destination when lease:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + names.Capacity + ", " + Number(parameter.Value.MaxBytes) + ", " + CSharpNames.Literal(names.Capacity) + ");");
                    stateValues.Add(names.Capacity);
                    break;
                case ValueKind.Destination:
                    w.Line(Stubs + "ArgumentGuard.ByteLength(" + name + ".Length, " + Number(parameter.Value.MaxBytes) + ", " + literal + ");");
                    stateValues.Add(name + ".Length");
                    break;
                default:
                    stateValues.Add(name);
                    break;
            }
        }

        string state = StateType(method);
        w.Line(state + " " + names.State + " = " + StateValue(method, stateValues) + ";");
        string call = ".CallAsync(" + names.MethodField + ", in " + names.State + ", " + names.WriterField + ", " + Policy(method.Policy) + ", " + names.Timeout + ", " + names.CancellationToken + ")";
        string declaration = "global::System.Threading.Tasks.ValueTask<" + Response + "> " + names.Call + " = ";
        if (service.Batch.Length == 0)
        {
            w.Line(declaration + "this." + service.Client + call + ";");
        }
        else
        {
            // One call, through the batch when the client was made over one: the same writer, the same state.
            w.Line(declaration + "this." + service.Batch + " is null");
            w.Indent();
            w.Line("? this." + service.Client + call);
            w.Line(": this." + service.Batch + call + ";");
            w.Unindent();
        }
        if (lease)
        {
            w.Line("return " + Stubs + "ServiceCall.Complete(" + names.Call + ", " + names.Capacity + ", " + names.LeaseDecoderField + ", decoderOwnsResponse: true);");
        }
        else if (method.Return.Kind == ValueKind.Void)
        {
            w.Line("return " + Stubs + "ServiceCall.CompleteVoid(" + names.Call + ", " + names.DecoderField + ");");
        }
        else
        {
            string decoderState = destination is null ? "default(global::System.ValueTuple)" : CSharpNames.Identifier(destination.Name);
            w.Line("return " + Stubs + "ServiceCall.Complete(" + names.Call + ", " + decoderState + ", " + names.DecoderField + ");");
        }

        w.Close();
    }

    private static void WritePayloadWriter(SourceWriter w, ServiceModel service, MethodModel method, MethodNames names, int index)
    {
        string helper = method.Obsolete.Length == 0 ? string.Empty : ObsoleteAttributeText.Marker;
        string state = StateType(method);
        w.Line("private static readonly global::TailGuard.R2P2.R2P2MethodDescriptor " + names.MethodField + " = " + service.DispatcherName + ".Descriptor.Methods[" + Number(index) + "];");
        w.Line();
        w.Attribute(helper);
        w.Line("private static readonly global::TailGuard.R2P2.R2P2PayloadWriter<" + state + "> " + names.WriterField + " = " + names.Writer + ";");
        w.Line();
        w.Attribute(helper);
        w.Open("private static void " + names.Writer + "(global::System.Buffers.IBufferWriter<byte> output, in " + state + " state)");
        w.Line(Stubs + "PayloadWriter __writer = new " + Stubs + "PayloadWriter(output);");
        w.Line("__writer.WriteUInt16(" + MethodId(method.Id) + ");");
        if (service.TraceContext)
        {
            w.Line("__writer.WriteTraceContext();");
        }

        for (int i = 0; i < method.Parameters.Count; i++)
        {
            ValueCodec.Write(w, "__writer", method.Parameters[i].Value, "state.Item" + Number(i + 1), "__present" + Number(i + 1));
        }

        w.Line("__writer.Flush();");
        w.Close();
    }

    private static void WriteDecoder(SourceWriter w, MethodModel method, MethodNames names, bool lease)
    {
        string helper = method.Obsolete.Length == 0 ? string.Empty : ObsoleteAttributeText.Marker;
        bool hasDestination = method.Parameters.Any(p => p.Value.Kind == ValueKind.Destination);
        bool isVoid = method.Return.Kind == ValueKind.Void;
        string field = lease ? names.LeaseDecoderField : names.DecoderField;
        string name = lease ? names.LeaseDecoder : names.Decoder;
        string resultType = lease ? Lease : isVoid ? "global::System.ValueTuple" : method.Return.DeclaredTypeName;
        string stateType = lease ? "int" : hasDestination ? "global::System.Memory<byte>" : "global::System.ValueTuple";
        string stateName = lease ? "capacity" : hasDestination ? "destination" : "unused";
        w.Attribute(helper);
        w.Line("private static readonly " + Stubs + "ResponseDecoder<" + stateType + ", " + resultType + "> " + field + " = " + name + ";");
        w.Line();
        w.Attribute(helper);
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
            w.Line("return new " + Lease + "(__result, __sequence.Slice(__offset, __length), response);");
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

        ValueCodec.Read read = ReadInto("__reader", method.Return, "__result", "__result");
        foreach (string declaration in read.Declarations)
        {
            w.Line(declaration);
        }

        w.Open("if (!" + read.Condition + ")");
        w.Line("throw " + Stubs + "ServiceResponse.MalformedResponse();");
        w.Close();
        w.Line();
        foreach (string conversion in read.Conversions)
        {
            w.Line(conversion);
        }

        w.Line("return __result;");
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
}
