namespace TailGuard.Tyche;

/// <summary>What SEGMENT_REGION returns: the new region (to send) and the capability that revokes it (to keep).</summary>
/// <param name="ToSend">The new Region capability, held by the caller until sent.</param>
/// <param name="ToRevoke">The RegionRevoke capability for the new region and everything derived from it.</param>
public readonly record struct SegmentResult(CapabilityHandle ToSend, CapabilityHandle ToRevoke);
