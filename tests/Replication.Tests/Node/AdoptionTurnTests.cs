using Xunit;

namespace TailGuard.Replication.Tests.Node;

/// <summary>
/// docs/replication.md, "Failure behaviour": a new leader adopts the parked requests once per term it leads, and only
/// from a log read begun in the term it still leads when the read ends.
/// </summary>
public sealed class AdoptionTurnTests
{
    [Fact]
    public void A_leader_begins_one_adoption_per_term()
    {
        var turn = default(AdoptionTurn);
        Assert.False(turn.TryBegin(leading: false, term: 1, readUnderWay: false));
        Assert.True(turn.TryBegin(leading: true, term: 2, readUnderWay: false));
        Assert.False(turn.TryBegin(leading: true, term: 2, readUnderWay: false)); // nothing was parked, or it was adopted
        Assert.True(turn.MayAdopt(leading: true, term: 2));
    }

    [Fact]
    public void A_read_that_ends_after_leadership_was_lost_is_not_adopted()
    {
        var turn = default(AdoptionTurn);
        Assert.True(turn.TryBegin(leading: true, term: 3, readUnderWay: false));
        Assert.False(turn.MayAdopt(leading: false, term: 4));
    }

    [Fact]
    public void Leading_again_in_a_later_term_adopts_from_a_fresh_read_begun_after_the_old_one_ends()
    {
        var turn = default(AdoptionTurn);
        Assert.True(turn.TryBegin(leading: true, term: 5, readUnderWay: false));

        // Lost in term 6 and led again in term 7 while the term-5 read is still under way: no second read beside it.
        Assert.False(turn.TryBegin(leading: true, term: 7, readUnderWay: true));

        // The term-5 read ends while this node leads term 7: it does not name what term 6's leader ordered, so it is dropped.
        Assert.False(turn.MayAdopt(leading: true, term: 7));

        // The next tick begins a read for term 7, and that one is adopted.
        Assert.True(turn.TryBegin(leading: true, term: 7, readUnderWay: false));
        Assert.True(turn.MayAdopt(leading: true, term: 7));
    }
}
