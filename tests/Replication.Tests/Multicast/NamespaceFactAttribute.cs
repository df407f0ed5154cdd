using TailGuard.MultiProcess.Tests.Infrastructure;

namespace TailGuard.Replication.Tests.Multicast;

/// <summary>A fact that needs a network namespace of its own (Linux, root, iproute2): skipped, saying which is missing, elsewhere.</summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (!NetworkNamespace.IsAvailable(out var reason))
        {
            Skip = $"needs a network namespace with multicast on its loopback: {reason}";
        }
    }
}
