using TailGuard.Generators.Common;
using TailGuard.Generators.R2P2.Model;

namespace TailGuard.Generators.R2P2;

/// <summary>
/// Emits the file for one service: <c>I{Name}Client</c>, <c>{Name}Client</c> and <c>{Name}Dispatcher</c>, inside the
/// interface's namespace and containing types, under the provenance header both generators write.
/// </summary>
internal static class ServiceEmitter
{
    public static string Emit(ServiceModel service)
    {
        var names = new ServiceNames(service);
        var w = new SourceWriter();
        w.FileHeader("R2P2Service", service.InterfaceDisplayName, service.ObsoleteDiagnosticIds);
        w.OpenNamespaceAndContainingTypes(service.Namespace, service.ContainingTypes);

        ClientEmitter.WriteInterface(w, service, names);
        w.Line();
        ClientEmitter.WriteClass(w, service, names);
        w.Line();
        DispatcherEmitter.Write(w, service, names);

        w.CloseContainingTypes(service.ContainingTypes);
        return w.ToString();
    }
}
