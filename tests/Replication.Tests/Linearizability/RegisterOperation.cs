namespace TailGuard.Replication.Tests.Linearizability;

/// <summary>What a client did to one register.</summary>
internal enum RegisterOperationKind
{
    Read,
    Write,
    CompareAndSwap,
    Increment,
}

/// <summary>
/// One operation of a recorded history on one register (all registers start at 0): when it was called and when it
/// returned (timestamps of one clock), its arguments, and its result. An operation whose outcome the client never
/// learned (it timed out or failed) is <see cref="Completed"/> false: it may have taken effect at any point after its
/// call, or never, and its result is unknown.
/// </summary>
internal sealed record RegisterOperation(int Client, string Key, RegisterOperationKind Kind, long Argument, long Expected, long Call, long Return, bool Completed, long Result)
{
    public static RegisterOperation Read(int client, string key, long call, long ret, long result) => new(client, key, RegisterOperationKind.Read, 0, 0, call, ret, true, result);

    public static RegisterOperation Write(int client, string key, long value, long call, long ret) => new(client, key, RegisterOperationKind.Write, value, 0, call, ret, true, 0);

    public static RegisterOperation CompareAndSwap(int client, string key, long expected, long value, long call, long ret, bool swapped) => new(client, key, RegisterOperationKind.CompareAndSwap, value, expected, call, ret, true, swapped ? 1 : 0);

    public static RegisterOperation Increment(int client, string key, long call, long ret, long result) => new(client, key, RegisterOperationKind.Increment, 0, 0, call, ret, true, result);

    /// <summary>The same operation with its outcome unknown (it never returned).</summary>
    public RegisterOperation Unknown() => this with { Completed = false, Return = long.MaxValue, Result = 0 };

    /// <summary>
    /// The register's sequential specification: whether this operation, applied to <paramref name="state"/>, could
    /// have given its recorded result, and the state after it.
    /// </summary>
    public bool Step(long state, out long next)
    {
        switch (Kind)
        {
            case RegisterOperationKind.Read:
                next = state;
                return !Completed || Result == state;
            case RegisterOperationKind.Write:
                next = Argument;
                return true;
            case RegisterOperationKind.CompareAndSwap:
                var swaps = state == Expected;
                next = swaps ? Argument : state;
                return !Completed || Result == (swaps ? 1 : 0);
            default:
                next = state + 1;
                return !Completed || Result == next;
        }
    }

    public override string ToString() => Kind switch
    {
        RegisterOperationKind.Read => $"c{Client} read {Key} -> {(Completed ? Result : "?")}",
        RegisterOperationKind.Write => $"c{Client} write {Key}={Argument}{(Completed ? string.Empty : " ?")}",
        RegisterOperationKind.CompareAndSwap => $"c{Client} cas {Key} {Expected}->{Argument} -> {(Completed ? (Result == 1).ToString() : "?")}",
        _ => $"c{Client} incr {Key} -> {(Completed ? Result : "?")}",
    } + $" [{Call}, {(Return == long.MaxValue ? "inf" : Return)}]";
}
