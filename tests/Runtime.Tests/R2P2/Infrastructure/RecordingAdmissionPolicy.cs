using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Tests.R2P2.Infrastructure;

/// <summary>Admits up to a limit per client and records every release, so tests see which request (and client) each release named.</summary>
internal sealed class RecordingAdmissionPolicy(int perClientLimit = int.MaxValue) : IR2P2AdmissionPolicy
{
    private readonly ConcurrentDictionary<PacketAddress, int> _inFlight = new();
    private readonly ConcurrentQueue<(ushort RequestId, PacketAddress Client)> _released = new();
    private readonly ConcurrentQueue<R2P2AdmissionRequest> _admissions = new();
    private int _admitted;

    public int Admitted => Volatile.Read(ref _admitted);

    public IReadOnlyList<(ushort RequestId, PacketAddress Client)> Released => _released.ToList();

    /// <summary>Every request admitted, as the policy was told it (rid, client, routing policy).</summary>
    public IReadOnlyList<R2P2AdmissionRequest> Admissions => _admissions.ToList();

    public int InFlight(PacketAddress client) => _inFlight.GetValueOrDefault(client);

    public int TotalInFlight => _inFlight.Values.Sum();

    public bool TryAdmit(in R2P2AdmissionRequest request)
    {
        var admitted = false;
        _inFlight.AddOrUpdate(request.Client, _ => { admitted = perClientLimit > 0; return admitted ? 1 : 0; }, (_, n) => { admitted = n < perClientLimit; return admitted ? n + 1 : n; });
        if (admitted)
        {
            _admissions.Enqueue(request);
            Interlocked.Increment(ref _admitted);
        }

        return admitted;
    }

    /// <summary>Answers without taking (as a policy should when it can): only admissions and their releases are recorded.</summary>
    public bool CanAdmit(in R2P2AdmissionRequest request) => InFlight(request.Client) < perClientLimit;

    public void Release(in R2P2AdmissionRequest request)
    {
        _released.Enqueue((request.RequestId, request.Client));
        _inFlight.AddOrUpdate(request.Client, -1, (_, n) => n - 1);
    }
}
