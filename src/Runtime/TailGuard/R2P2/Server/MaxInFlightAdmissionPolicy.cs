using System;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>Admits at most N whole requests at a time (being handled, or deferred and not yet answered); 0 refuses every request.</summary>
public sealed class MaxInFlightAdmissionPolicy : IR2P2AdmissionPolicy
{
    private int _inFlight;

    /// <summary>Creates the policy.</summary>
    /// <param name="maxInFlight">How many requests may be in the server at once; 0 drops all.</param>
    public MaxInFlightAdmissionPolicy(int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxInFlight);
        MaxInFlight = maxInFlight;
    }

    /// <summary>The limit.</summary>
    public int MaxInFlight { get; }

    /// <summary>Requests admitted and not yet released.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <inheritdoc/>
    public bool TryAdmit(in R2P2AdmissionRequest request)
    {
        while (true)
        {
            var current = Volatile.Read(ref _inFlight);
            if (current >= MaxInFlight)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <inheritdoc/>
    public bool CanAdmit(in R2P2AdmissionRequest request) => Volatile.Read(ref _inFlight) < MaxInFlight;

    /// <inheritdoc/>
    public void Release(in R2P2AdmissionRequest request) => Interlocked.Decrement(ref _inFlight);
}
