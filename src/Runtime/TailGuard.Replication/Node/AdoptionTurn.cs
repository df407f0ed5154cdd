namespace TailGuard.Replication;

/// <summary>
/// When a new leader adopts the requests parked before it led (docs/replication.md, "Failure behaviour"): once per term
/// it leads, and only from a log read begun in the term it still leads when the read ends. A read begun in an earlier
/// term does not name what an intermediate leader ordered meanwhile, so adopting from it would order those requests
/// twice. The loop thread asks it every tick; the read itself is the node's.
/// </summary>
internal struct AdoptionTurn
{
    private long? _term; // the term the last adoption began for

    /// <summary>
    /// Whether an adoption begins now: this node leads a term it has not adopted for, and no read is under way (one begun
    /// in an earlier term ends, and is discarded, first). Beginning marks the term taken, found parked requests or not.
    /// </summary>
    public bool TryBegin(bool leading, long term, bool readUnderWay)
    {
        if (!leading || readUnderWay || term == _term)
        {
            return false;
        }

        _term = term;
        return true;
    }

    /// <summary>Whether a read that has just ended may be adopted: this node still leads the term the read began in.</summary>
    public readonly bool MayAdopt(bool leading, long term) => leading && term == _term;
}
