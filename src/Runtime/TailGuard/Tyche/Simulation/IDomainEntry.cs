namespace TailGuard.Tyche.Simulation;

/// <summary>
/// The code of a simulated domain. Each switch into the domain runs <see cref="Run"/> on the switching core's thread,
/// with the core now running the domain: monitor calls and memory accesses made through
/// <see cref="DomainEntryContext.Core"/> are the domain's own, checked against its capabilities. Returning switches back
/// to the caller with the return capability the monitor gave the domain (the coroutine resumes where the caller left).
/// </summary>
public interface IDomainEntry
{
    /// <summary>Runs the domain until it returns or traps.</summary>
    /// <param name="context">The core, the status the domain resumed with and its return capability.</param>
    /// <returns><see cref="DomainExit.Return"/> to switch back, or <see cref="DomainExit.Trap"/> to raise a trap.</returns>
    DomainExit Run(in DomainEntryContext context);
}
