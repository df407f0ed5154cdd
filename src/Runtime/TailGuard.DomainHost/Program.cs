using System;
using System.Reflection;

namespace TailGuard.DomainHost;

/// <summary>
/// tailguard-domain: runs one process-isolated trust domain. The entry loop itself is in TailGuard.dll
/// (<c>TailGuard.Boundary.DomainProcess</c>); this program only loads the very TailGuard.dll its host runs (the first
/// argument: the backend passes its own assembly's path) and hands it the rest. That keeps the child on the host's
/// runtime version wherever the application took TailGuard from, and lets the TailGuard package carry this program
/// without a build cycle between the two (docs/trust-boundary.md, "Where tailguard-domain is found").
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Out.WriteLine("ERROR usage: tailguard-domain TAILGUARD.DLL ARGUMENTS... (started by TailGuard's ProcessBackend, not by hand)");
            return 2;
        }

        MethodInfo? run;
        try
        {
            run = Assembly.LoadFrom(args[0])
                .GetType("TailGuard.Boundary.DomainProcess", throwOnError: true)!
                .GetMethod("Run", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static, [typeof(string[])]);
        }
        catch (Exception exception) when (exception is System.IO.IOException or BadImageFormatException or TypeLoadException or ArgumentException)
        {
            Console.Out.WriteLine("ERROR " + exception.GetType().Name + ": " + exception.Message.ReplaceLineEndings(" "));
            return 3;
        }

        if (run is null)
        {
            Console.Out.WriteLine("ERROR " + args[0] + " has no domain entry loop (TailGuard.Boundary.DomainProcess.Run): not a TailGuard runtime this host can run.");
            return 3;
        }

        return (int)run.Invoke(null, [args[1..]])!;
    }
}
