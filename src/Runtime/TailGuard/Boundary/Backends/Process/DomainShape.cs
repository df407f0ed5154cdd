using System;
using System.Globalization;
using System.Text;

namespace TailGuard.Boundary;

/// <summary>
/// What a process domain is, as its host starts it and a verifier measures it: the contract's binding and layout, the
/// implementation, its cores, and its [HostCalls] binding and layout, if any.
/// </summary>
internal sealed record DomainShape(BoundaryLayout Layout, Type Binding, Type Implementation, int Cores, BoundaryLayout? HostLayout, Type? HostBinding)
{
    /// <summary>
    /// The configuration text that is measured with the assembly's bytes. A one-core domain without out-calls has the
    /// text of the first format (its measurement did not change); the cores and the out-call contract are added when present.
    /// </summary>
    public string Configuration()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"tailguard process domain 1\n{Layout.Contract}\n{Binding.FullName}\n{Implementation.FullName}\n");
        text.Append(CultureInfo.InvariantCulture, $"region 0x{Layout.RegionSize:X}\nscratch 0x{Layout.ScratchSize:X}\n");
        if (Cores > 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"cores {Cores}\n");
        }

        if (HostLayout is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"host calls {HostLayout.Contract}\n{HostBinding!.FullName}\nregion 0x{HostLayout.RegionSize:X}\n");
        }

        text.Append("seccomp ").AppendJoin(',', Array.ConvertAll(SeccompFilter.Allowed, s => s.Name)).Append('\n');
        return text.ToString();
    }
}
