namespace TailGuard.Tyche.Simulation;

/// <summary>How a simulated domain's entry ends: switch back to the caller, or raise a trap.</summary>
public readonly record struct DomainExit
{
    private DomainExit(int trapVector) => TrapVector = trapVector;

    /// <summary>The trap raised, or -1 for a plain return.</summary>
    public int TrapVector { get; }

    /// <summary>Whether this exit raises a trap.</summary>
    public bool IsTrap => TrapVector >= 0;

    /// <summary>Switch back to the caller through the return capability.</summary>
    public static DomainExit Return => new(-1);

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
