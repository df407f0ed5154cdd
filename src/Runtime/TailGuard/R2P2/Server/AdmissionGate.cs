using System;

namespace TailGuard.R2P2;

/// <summary>
/// The server's one way to admit and release requests: the per-source quota (<see cref="R2P2ServerOptions.MaxInFlightPerSource"/>)
/// in front of the user's <see cref="IR2P2AdmissionPolicy"/>, with the policy's failures survived (counted and logged
/// through the <see cref="FailureReporter"/>): a policy that throws while admitting refuses; one that throws while
/// releasing has released. Shared by every receive loop of a server; thread-safe; never throws.
/// </summary>
internal sealed class AdmissionGate
{
    private readonly IR2P2AdmissionPolicy? _policy;
    private readonly SourceQuota? _quota;
    private readonly FailureReporter _failures;

    public AdmissionGate(IR2P2AdmissionPolicy? policy, int? maxInFlightPerSource, FailureReporter failures)
    {
        _policy = policy;
        _quota = maxInFlightPerSource is { } limit ? new SourceQuota(limit) : null;
        _failures = failures;
    }

    /// <summary>Whether every request is admitted and nothing needs releasing (no policy, no quota).</summary>
    public bool AdmitsAll => _policy is null && _quota is null;

    /// <summary>Admits a whole request (then <see cref="Release"/> once, with the same request), or refuses it.</summary>
    public bool TryAdmit(in R2P2AdmissionRequest request)
    {
        if (AdmitsAll)
        {
            return true;
        }

        if (_quota is not null && !_quota.TryTake(request.Client))
        {
            return false;
        }

        if (_policy is null || Ask(in request, static (IR2P2AdmissionPolicy policy, in R2P2AdmissionRequest asked) => policy.TryAdmit(in asked)))
        {
            return true;
        }

        _quota?.Return(request.Client);
        return false;
    }

    /// <summary>On a multi-packet request's FIRST packet: whether it would be admitted now (nothing is taken).</summary>
    public bool CanAdmit(in R2P2AdmissionRequest request)
    {
        if (AdmitsAll)
        {
            return true;
        }

        if (_quota is not null && !_quota.HasRoom(request.Client))
        {
            return false;
        }

        return _policy is null || Ask(in request, static (IR2P2AdmissionPolicy policy, in R2P2AdmissionRequest asked) => policy.CanAdmit(in asked));
    }

    /// <summary>Ends an admitted request (given as it was admitted).</summary>
    public void Release(in R2P2AdmissionRequest request)
    {
        if (AdmitsAll)
        {
            return;
        }

        try
        {
            _policy?.Release(in request);
        }
#pragma warning disable CA1031 // The policy is user code; see the summary.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _failures.Report(R2P2Failure.AdmissionPolicy, error);
        }
        finally
        {
            _quota?.Return(request.Client);
        }
    }

    private bool Ask(in R2P2AdmissionRequest request, Question question)
    {
        try
        {
            return question(_policy!, in request);
        }
#pragma warning disable CA1031 // The policy is user code; see the summary.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _failures.Report(R2P2Failure.AdmissionPolicy, error);
            return false;
        }
    }

    /// <summary>One of the policy's two questions (<see cref="IR2P2AdmissionPolicy.TryAdmit"/>, <see cref="IR2P2AdmissionPolicy.CanAdmit"/>).</summary>
    private delegate bool Question(IR2P2AdmissionPolicy policy, in R2P2AdmissionRequest request);
}
