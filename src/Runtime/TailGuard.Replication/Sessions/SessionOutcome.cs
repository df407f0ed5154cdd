namespace TailGuard.Replication.Sessions;

/// <summary>What the session table says about a committed write before it runs.</summary>
internal enum SessionOutcome
{
    /// <summary>First time this call is seen: run it, then <see cref="SessionTable.Complete"/> stores its response.</summary>
    Execute,

    /// <summary>A retry of a call that ran: answer its stored response, do not run it again.</summary>
    Duplicate,

    /// <summary>Below the client's floor: a late copy of a call whose outcome the client has already; no effect, answer SessionExpired.</summary>
    Stale,

    /// <summary>The call's session is not the one registered (evicted, replaced, or never registered) or its response is gone: it may have run; no effect, answer SessionExpired.</summary>
    Expired,
}
