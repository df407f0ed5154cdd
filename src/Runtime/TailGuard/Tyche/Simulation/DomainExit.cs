namespace TailGuard.Tyche.Simulation;

/// <summary>How a simulated domain's entry ends: switch back to the caller, raise a trap, or return to its manager.</summary>
public readonly record struct DomainExit
{
    private const int ReturnVector = -1;
    private const int ManagerVector = -2;

    private readonly int _vector;

    private DomainExit(int vector) => _vector = vector;

    /// <summary>The trap raised, or -1 when the exit is not a trap.</summary>
    public int TrapVector => _vector >= 0 ? _vector : -1;

    /// <summary>Whether this exit raises a trap.</summary>
    public bool IsTrap => _vector >= 0;

    /// <summary>Whether this exit is RETURN_TO_MANAGER.</summary>
    public bool IsReturnToManager => _vector == ManagerVector;

    /// <summary>Switch back to the caller through the return capability.</summary>
    public static DomainExit Return => new(ReturnVector);

    /// <summary>
    /// RETURN_TO_MANAGER: switch to the domain's manager through the Switch capability to it for this core (usually the
    /// return capability, when the manager called). The manager resumes as interrupted (status 2, no trap vector) with a
    /// Switch back into this domain. Without a manager the call fails with <see cref="MonitorError.CouldNotHandleTrap"/>,
    /// without a Switch to it with <see cref="MonitorError.InvalidCore"/>; a failed call resumes the domain with status 1.
    /// </summary>
    public static DomainExit ReturnToManager => new(ManagerVector);

    /// <summary>Raise trap <paramref name="vector"/> (0-255): it goes to the nearest sealed ancestor allowed to handle it.</summary>
    /// <param name="vector">The trap number.</param>
    /// <returns>The exit.</returns>
    public static DomainExit Trap(int vector)
    {
        System.ArgumentOutOfRangeException.ThrowIfNegative(vector);
        System.ArgumentOutOfRangeException.ThrowIfGreaterThan(vector, 255);
        return new DomainExit(vector);
    }
}
