namespace TailGuard.DomainHost;

/// <summary>tailguard-domain: runs one process-isolated trust domain (<see cref="DomainProcess"/>).</summary>
internal static class Program
{
    private static int Main(string[] args) => DomainProcess.Run(args);
}
