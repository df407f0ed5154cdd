using System.Collections.Generic;
using System.Linq;
using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Every identifier the R2P2 emitters invent for one service, claimed through <see cref="NameScope"/> so none can
/// collide with a user identifier: the parameters added to client methods (documented: <c>cancellationToken</c>,
/// <c>timeout</c>, <c>{destination}Capacity</c>, each with '_' appended while a user parameter has the name), then the
/// client's private members (its R2P2Client and R2P2CallBatch fields, unique against every method and parameter name of the service), then each client method's
/// locals. The dispatcher's members and locals meet no user identifier but the containing types' type parameters.
/// </summary>
internal sealed class ServiceNames
{
    // The dispatcher's own members: Handle, and IR2P2ServiceDispatcher's Service and Create; the static Descriptor.
    private static readonly string[] DispatcherMembers = { "Handle", "Service", "Create", "Descriptor" };

    public ServiceNames(ServiceModel service)
    {
        // The generated types' own names: a member cannot share its type's name.
        string[] typeNames = { service.ClientName, service.ClientInterfaceName, service.DispatcherName };
        var methods = new List<MethodNames>(service.Methods.Count);
        var everyParameter = new List<string>();
        foreach (MethodModel method in service.Methods)
        {
            var scope = new NameScope(service.ScopeNames.Concat(method.Parameters.Select(p => p.Name)));
            ParameterModel? destination = method.Parameters.FirstOrDefault(p => p.Value.Kind == ValueKind.Destination);
            var names = new MethodNames(
                scope.Claim("cancellationToken"),
                scope.Claim("timeout"),
                destination is null ? string.Empty : scope.Claim(destination.Name + "Capacity"));
            methods.Add(names);
            everyParameter.AddRange(method.Parameters.Select(p => p.Name));
            everyParameter.Add(names.CancellationToken);
            everyParameter.Add(names.Timeout);
            everyParameter.Add(names.Capacity);
        }

        var client = new NameScope(service.ScopeNames
            .Concat(typeNames)
            .Concat(service.Methods.SelectMany(m => new[] { m.ClientName, m.LeaseClientName }))
            .Concat(everyParameter));
        Client = client.Claim("_client");
        Batch = service.Replicated ? string.Empty : client.Claim("_batch");
        for (int i = 0; i < methods.Count; i++)
        {
            MethodModel method = service.Methods[i];
            MethodNames names = methods[i];
            names.MethodField = client.Claim("s_method" + method.Name);
            names.WriterField = client.Claim("s_write" + method.Name);
            names.Writer = client.Claim("Write" + method.Name);
            names.DecoderField = client.Claim("s_decode" + method.Name);
            names.Decoder = client.Claim("Decode" + method.Name);
            if (method.LeaseClientName.Length > 0)
            {
                names.LeaseDecoderField = client.Claim("s_decode" + method.Name + "Lease");
                names.LeaseDecoder = client.Claim("Decode" + method.Name + "Lease");
            }
        }

        var dispatcher = new NameScope(service.ScopeNames.Concat(typeNames).Concat(DispatcherMembers));
        Implementation = dispatcher.Claim("_implementation");
        HandlerFailed = dispatcher.Claim("_handlerFailed");
        for (int i = 0; i < methods.Count; i++)
        {
            methods[i].Handler = dispatcher.Claim("Handle" + service.Methods[i].Name);
            if (service.Methods[i].IsAsync && service.Methods[i].Return.Kind != ValueKind.Void)
            {
                methods[i].ResultWriterField = dispatcher.Claim("s_writeResult" + service.Methods[i].Name);
                methods[i].ResultWriter = dispatcher.Claim("WriteResult" + service.Methods[i].Name);
            }
        }

        // Locals of each client method: unique against its parameters and every member of the client.
        for (int i = 0; i < methods.Count; i++)
        {
            MethodModel method = service.Methods[i];
            MethodNames names = methods[i];
            NameScope locals = client.With(method.Parameters.Select(p => p.Name).Concat(new[] { names.CancellationToken, names.Timeout, names.Capacity }));
            names.State = locals.Claim("__state");
            names.Call = locals.Claim("__call");
        }

        Methods = methods;
    }

    /// <summary>The client's R2P2Client field.</summary>
    public string Client { get; }

    /// <summary>The client's R2P2CallBatch field (null unless made over a batch); "" for a replicated service, which has no batch form.</summary>
    public string Batch { get; }

    /// <summary>The dispatcher's implementation field.</summary>
    public string Implementation { get; }

    /// <summary>The dispatcher's handler-failed callback field.</summary>
    public string HandlerFailed { get; }

    /// <summary>Per method, in the model's order.</summary>
    public IReadOnlyList<MethodNames> Methods { get; }
}

/// <summary>The generated identifiers of one service method.</summary>
internal sealed class MethodNames
{
    public MethodNames(string cancellationToken, string timeout, string capacity)
    {
        CancellationToken = cancellationToken;
        Timeout = timeout;
        Capacity = capacity;
    }

    public string CancellationToken { get; }

    public string Timeout { get; }

    /// <summary>The lease method's capacity parameter ("" without a destination).</summary>
    public string Capacity { get; }

    /// <summary>The client's static field holding the method's descriptor (metrics and spans).</summary>
    public string MethodField { get; set; } = string.Empty;

    public string WriterField { get; set; } = string.Empty;

    public string Writer { get; set; } = string.Empty;

    public string DecoderField { get; set; } = string.Empty;

    public string Decoder { get; set; } = string.Empty;

    public string LeaseDecoderField { get; set; } = string.Empty;

    public string LeaseDecoder { get; set; } = string.Empty;

    public string Handler { get; set; } = string.Empty;

    /// <summary>An async method's cached result writer (dispatcher field) and the method behind it; empty otherwise.</summary>
    public string ResultWriterField { get; set; } = string.Empty;

    /// <summary>The static method that writes an async method's successful response.</summary>
    public string ResultWriter { get; set; } = string.Empty;

    public string State { get; set; } = string.Empty;

    public string Call { get; set; } = string.Empty;
}
