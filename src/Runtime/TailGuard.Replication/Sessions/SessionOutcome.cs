namespace TailGuard.Replication.Sessions;

/// <summary>What the session table says about a committed write before it runs.</summary>
internal enum SessionOutcome
{
    /// <summary>First time this call is seen: run it, then <see cref="SessionTable.Complete"/> stores its response.</summary>
    Execute,

    /// <summary>A retry of a call that ran: answer its stored response, do not run it again.</summary>
    Duplicate,

    /// <summary>Below the client's floor: the client has this call's outcome already (or restarted with the same id); no effect, answer SessionExpired.</summary>
    Stale,

    /// <summary>The call may have run but its session or response is gone: no effect, answer SessionExpired.</summary>
    Expired,
}
