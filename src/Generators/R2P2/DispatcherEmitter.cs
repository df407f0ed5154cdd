using System.Collections.Generic;
using System.Linq;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;
using static TailGuard.Generators.R2P2.ValueCodec;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Emits <c>{Name}Dispatcher</c>, an IR2P2Handler: it reads the method id, reads the arguments as views into the
/// receive buffer, calls the implementation and writes the result straight into the send buffer. Every malformed input
/// becomes an error response; nothing the payload does can throw out of <c>Handle</c>.
/// </summary>
internal static class DispatcherEmitter
{
    private const string Status = "global::TailGuard.R2P2.R2P2ServiceStatus.";
    private const string WriteError = "global::TailGuard.R2P2.Stubs.ServiceResponse.WriteError(response, ";
    private const string ReplicatedService = "global::TailGuard.Replication.IReplicatedService";

    public static void Write(SourceWriter w, ServiceModel service, ServiceNames names)
    {
        w.Line("/// <summary>");
        w.Line("/// Serves <see cref=\"" + service.InterfaceCref + "\"/> over R2P2: register it as the server's handler. Arguments are views");
        w.Line("/// into the receive buffer and results are written into the send buffer; malformed requests get an error response.");
        w.Line("/// </summary>");
        if (service.Replicated)
        {
            w.Line("/// <remarks>The service is replicated: this is also every replica's apply function (docs/replication.md).</remarks>");
        }

        w.TypeAttributes(service.Obsolete);
        w.Open(service.Accessibility + " sealed partial class " + service.DispatcherName + " : global::TailGuard.R2P2.IR2P2ServiceDispatcher<" + service.InterfaceName + ">" + (service.Replicated ? ", " + ReplicatedService : string.Empty));
        w.Line("private readonly " + service.InterfaceName + " " + names.Implementation + ";");
        w.Line("private readonly global::System.Action<global::System.Exception>? " + names.HandlerFailed + ";");
        w.Line();
        WriteDescriptor(w, service);
        w.Line();
        w.Line("/// <summary>Creates a dispatcher that serves calls with <paramref name=\"implementation\"/>.</summary>");
        w.Line("/// <param name=\"implementation\">The service implementation; it runs on the receiving thread.</param>");
        w.Line("/// <param name=\"handlerFailed\">Told about exceptions the implementation throws (the client only sees HandlerFailed).</param>");
        w.Open("public " + service.DispatcherName + "(" + service.InterfaceName + " implementation, global::System.Action<global::System.Exception>? handlerFailed = null)");
        w.Line("global::System.ArgumentNullException.ThrowIfNull(implementation);");
        w.Line("this." + names.Implementation + " = implementation;");
        w.Line("this." + names.HandlerFailed + " = handlerFailed;");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public global::TailGuard.R2P2.R2P2ServiceDescriptor Service => Descriptor;");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public static global::TailGuard.R2P2.IR2P2ServiceHandler Create(" + service.InterfaceName + " implementation, global::System.Action<global::System.Exception>? handlerFailed)");
        w.Indent();
        w.Line("=> new " + service.DispatcherName + "(implementation, handlerFailed);");
        w.Unindent();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("public void Handle(in global::TailGuard.R2P2.R2P2Request request, global::System.Buffers.IBufferWriter<byte> response)");
        w.Line("global::System.Buffers.ReadOnlySequence<byte> __sequence = request.Payload;");
        w.Line("using " + Stubs + "ContiguousPayload __payload = new " + Stubs + "ContiguousPayload(in __sequence);");
        w.Line(Stubs + "PayloadReader __reader = new " + Stubs + "PayloadReader(__payload.Span);");
        w.Open("if (!__reader.TryReadUInt16(out ushort __methodId))");
        w.Line(WriteError + Status + "MalformedRequest);");
        w.Line("return;");
        w.Close();
        w.Line();
        if (service.TraceContext)
        {
            // The server read the trace context before this ran (docs/hosting.md, "Carrying a trace across R2P2").
            w.Open("if (!__reader.TrySkipTraceContext())");
            w.Line(WriteError + Status + "MalformedRequest);");
            w.Line("return;");
            w.Close();
            w.Line();
        }

        w.Open("switch (__methodId)");
        foreach (int i in Enumerable.Range(0, service.Methods.Count).OrderBy(i => service.Methods[i].Id))
        {
            w.Line("case " + MethodId(service.Methods[i].Id) + ": // " + service.Methods[i].Name);
            w.Indent();
            w.Line("this." + names.Methods[i].Handler + (service.Methods[i].IsAsync ? "(in request, ref __reader, response);" : "(ref __reader, response);"));
            w.Line("return;");
            w.Unindent();
        }

        w.Line("default:");
        w.Indent();
        w.Line(WriteError + Status + "UnknownMethod);");
        w.Line("return;");
        w.Unindent();
        w.Close();
        w.Close();

        if (service.Replicated)
        {
            w.Line();
            WriteReplicatedService(w, service);
        }

        for (int i = 0; i < service.Methods.Count; i++)
        {
            w.Line();
            WriteHandler(w, service.Methods[i], names.Methods[i], names);
        }

        w.Close();
    }

    // The service as metrics and spans name it; the client's method fields index its methods in the model's order.
    private static void WriteDescriptor(SourceWriter w, ServiceModel service)
    {
        string name = CSharpNames.Literal(service.InterfaceDisplayName);
        w.Line("/// <summary>The service as metrics and traces name it: its name, its methods and their wire ids.</summary>");
        w.Line("public static global::TailGuard.R2P2.R2P2ServiceDescriptor Descriptor { get; } = new global::TailGuard.R2P2.R2P2ServiceDescriptor(");
        w.Indent();
        w.Line(name + ",");
        w.Line("new global::TailGuard.R2P2.R2P2MethodDescriptor[]");
        w.Line("{");
        w.Indent();
        foreach (MethodModel method in service.Methods)
        {
            w.Line("new global::TailGuard.R2P2.R2P2MethodDescriptor(" + name + ", " + CSharpNames.Literal(method.Name) + ", " + MethodId(method.Id) + "),");
        }

        w.Unindent();
        w.Line("},");
        w.Line("carriesTraceContext: " + (service.TraceContext ? "true" : "false") + ");");
        w.Unindent();
    }

    // The replicas' view (explicit implementations: no name the user could collide with). Apply is Handle on a request
    // without a client: the dispatch is a pure function of the payload and the implementation's state.
    private static void WriteReplicatedService(SourceWriter w, ServiceModel service)
    {
        w.Line("/// <inheritdoc/>");
        w.Open("bool " + ReplicatedService + ".IsReadOnly(global::System.ReadOnlySpan<byte> request)");
        w.Line(Stubs + "PayloadReader __reader = new " + Stubs + "PayloadReader(request);");
        w.Open("if (!__reader.TryReadUInt16(out ushort __methodId))");
        w.Line("return false;");
        w.Close();
        w.Line();
        var readOnly = service.Methods.Where(m => m.IsReadOnly).OrderBy(m => m.Id).ToList();
        if (readOnly.Count == 0)
        {
            w.Line("return false;");
        }
        else
        {
            w.Open("switch (__methodId)");
            foreach (MethodModel method in readOnly)
            {
                w.Line("case " + MethodId(method.Id) + ": // " + method.Name);
            }

            w.Indent();
            w.Line("return true;");
            w.Unindent();
            w.Line("default:");
            w.Indent();
            w.Line("return false;");
            w.Unindent();
            w.Close();
        }

        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Open("void " + ReplicatedService + ".Apply(global::System.Buffers.ReadOnlySequence<byte> request, global::System.Buffers.IBufferWriter<byte> response)");
        w.Line("this.Handle(new global::TailGuard.R2P2.R2P2Request(request, 0, global::TailGuard.R2P2.RoutingPolicy.Replicated), response);");
        w.Close();
    }

    private static void WriteHandler(SourceWriter w, MethodModel method, MethodNames methodNames, ServiceNames names)
    {
        w.Attribute(method.Obsolete.Length == 0 ? string.Empty : ObsoleteAttributeText.Marker);
        // An async method's handler takes the request too: it may have to defer it.
        string request = method.IsAsync ? "in global::TailGuard.R2P2.R2P2Request request, " : string.Empty;
        w.Open("private void " + methodNames.Handler + "(" + request + "ref " + Stubs + "PayloadReader reader, global::System.Buffers.IBufferWriter<byte> response)");
        var declarations = new List<string>();
        var conditions = new List<string>();
        var conversions = new List<string>();
        var arguments = new List<string>();
        string? capacity = null;
        for (int i = 0; i < method.Parameters.Count; i++)
        {
            ValueModel value = method.Parameters[i].Value;
            string variable = "__arg" + Number(i);
            ValueCodec.Read read = ReadInto("reader", value, variable, variable);
            declarations.AddRange(read.Declarations);
            conditions.Add("!" + read.Condition);
            conversions.AddRange(read.Conversions);
            if (value.Kind == ValueKind.Destination)
            {
                capacity = variable;
                arguments.Add("__destination");
            }
            else
            {
                arguments.Add(variable);
            }
        }

        foreach (string declaration in declarations)
        {
            w.Line(declaration);
        }

        if (conditions.Count > 0)
        {
            w.Open("if (" + string.Join(" || ", conditions) + ")");
            w.Line(WriteError + Status + "MalformedArguments);");
            w.Line("return;");
            w.Close();
            w.Line();
        }

        foreach (string conversion in conversions)
        {
            w.Line(conversion);
        }

        if (capacity is not null)
        {
            w.Line("global::System.Span<byte> __destination = " + Stubs + "ServiceResponse.ReserveDestination(response, " + capacity + ", out global::System.Span<byte> __reserved);");
        }

        string call = "this." + names.Implementation + "." + CSharpNames.Identifier(method.Name) + "(" + string.Join(", ", arguments) + ");";
        bool isVoid = method.Return.Kind == ValueKind.Void;
        if (method.IsAsync)
        {
            WriteAsyncCall(w, method, methodNames, names, call);
            return;
        }

        if (!isVoid)
        {
            w.Line(method.Return.DeclaredTypeName + " __result;");
        }

        WriteGuarded(w, isVoid ? call : "__result = " + call, names);
        w.Line();

        if (capacity is not null)
        {
            w.Line(Stubs + "ServiceResponse.CommitDestination(response, __reserved, __result);");
            w.Close();
            return;
        }

        WriteOk(w, method);
        w.Close();
    }

    /// <summary>
    /// The rest of an async method's handler: call, then answer now when the task completed synchronously (the
    /// allocation-free path), or defer the request and answer when it completes (AsyncAnswer), so the loop moves on.
    /// Then, for a result, the static writer both paths answer with.
    /// </summary>
    private static void WriteAsyncCall(SourceWriter w, MethodModel method, MethodNames methodNames, ServiceNames names, string call)
    {
        bool isVoid = method.Return.Kind == ValueKind.Void;
        string task = isVoid ? "global::System.Threading.Tasks.ValueTask" : "global::System.Threading.Tasks.ValueTask<" + method.Return.DeclaredTypeName + ">";
        w.Line(task + " __pending;");
        WriteGuarded(w, "__pending = " + call, names);
        w.Line();
        w.Open("if (!__pending.IsCompleted)");
        w.Line(Stubs + "AsyncAnswer.Later(in request, response, __pending, " + (isVoid ? string.Empty : methodNames.ResultWriterField + ", ") + "this." + names.HandlerFailed + ");");
        w.Line("return;");
        w.Close();
        w.Line();
        if (!isVoid)
        {
            w.Line(method.Return.DeclaredTypeName + " __result;");
        }

        WriteGuarded(w, isVoid ? "__pending.GetAwaiter().GetResult();" : "__result = __pending.GetAwaiter().GetResult();", names);
        w.Line();
        if (isVoid)
        {
            WriteOk(w, method);
            w.Close();
            return;
        }

        w.Line(methodNames.ResultWriter + "(response, in __result);");
        w.Close();
        w.Line();
        w.Line("private static readonly global::TailGuard.R2P2.R2P2PayloadWriter<" + method.Return.DeclaredTypeName + "> " + methodNames.ResultWriterField + " = " + methodNames.ResultWriter + ";");
        w.Line();
        w.Open("private static void " + methodNames.ResultWriter + "(global::System.Buffers.IBufferWriter<byte> response, in " + method.Return.DeclaredTypeName + " __result)");
        WriteOk(w, method);
        w.Close();
    }

    /// <summary>Writes <paramref name="statement"/> so that an exception it throws answers HandlerFailed and ends the handler.</summary>
    private static void WriteGuarded(SourceWriter w, string statement, ServiceNames names)
    {
        w.Open("try");
        w.Line(statement);
        w.Close();
        w.Open("catch (global::System.Exception __exception)");
        w.Line(Stubs + "ServiceResponse.WriteHandlerFailed(response, __exception, this." + names.HandlerFailed + ");");
        w.Line("return;");
        w.Close();
    }

    /// <summary>Writes a successful response from <c>__result</c> into <c>response</c> (a string beyond its bound answers InvalidResult).</summary>
    private static void WriteOk(SourceWriter w, MethodModel method)
    {
        bool isVoid = method.Return.Kind == ValueKind.Void;
        if (method.Return.Kind == ValueKind.String)
        {
            string fits = Stubs + "PayloadWriter.FitsString(__result, " + Number(method.Return.MaxBytes) + ")";
            w.Open("if (" + (method.Return.IsNullable ? "__result is not null && !" : "!") + fits + ")");
            w.Line(WriteError + Status + "InvalidResult);");
            w.Line("return;");
            w.Close();
            w.Line();
        }

        w.Line(Stubs + "PayloadWriter __writer = new " + Stubs + "PayloadWriter(response);");
        w.Line("__writer.WriteStatus(" + Status + "Ok);");
        if (!isVoid)
        {
            ValueCodec.Write(w, "__writer", method.Return, "__result", "__present");
        }

        w.Line("__writer.Flush();");
    }
}
