namespace TailGuard.Tyche.Simulation.Engine;

/// <summary>A domain's context on one core: whether it is allocated, running, and its registers.</summary>
internal sealed class CoreContext
{
    public const int GeneralRegisterCount = 16;

    public bool Running { get; set; }

    public ulong[] GeneralRegisters { get; } = new ulong[GeneralRegisterCount];

    public System.Collections.Generic.SortedDictionary<ulong, ulong> Fields { get; } = new();
}
