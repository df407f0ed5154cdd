namespace TailGuard.Boundary;

/// <summary>
/// The callee's side of the call being served, as the backend running it knows it: whether the memory the call is
/// served from is still the callee's, so results go out only into memory it still holds
/// (<see cref="EntryCall.EnsureRegionHeld"/>). The shared region and the private scratch themselves are handed to
/// <see cref="BoundaryEntry"/> by the backend for each call. A backend whose callee memory cannot be taken away
/// during a call (a child process's own mappings) passes none.
/// </summary>
internal abstract class CalleeContext
{
    /// <summary>Whether the call in progress is still current: the memory it was served from has not changed since it began.</summary>
    public abstract bool IsCurrent { get; }
}
