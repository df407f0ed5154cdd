using System;
using System.Collections.Generic;
using System.Linq;
using CsCheck;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>The deadline heap: earliest first whatever the insertion order, any id removable, nothing taken early.</summary>
public sealed class DeadlineQueueTests
{
    [Fact]
    public void Ids_come_out_in_deadline_order_for_any_deadlines_and_removals()
    {
        Gen.Select(Gen.Long[-1000, 1000].Array[1, 200], Gen.Int[0, 199].Array[0, 50]).Sample((deadlines, removals) =>
        {
            var queue = new DeadlineQueue(deadlines.Length);
            for (var id = 0; id < deadlines.Length; id++)
            {
                queue.Add(id, deadlines[id]);
            }

            var removed = new HashSet<int>(removals.Where(id => id < deadlines.Length));
            foreach (var id in removed)
            {
                Assert.True(queue.Remove(id));
            }

            var taken = new List<int>();
            while (queue.TryTakeDue(long.MaxValue, out var id))
            {
                taken.Add(id);
            }

            var expected = Enumerable.Range(0, deadlines.Length).Where(id => !removed.Contains(id)).Select(id => deadlines[id]).Order();
            Assert.Equal(expected, taken.Select(id => deadlines[id]));
            Assert.Equal(0, queue.Count);
        });
    }

    [Fact]
    public void Nothing_is_taken_before_its_deadline_and_the_earliest_is_reported()
    {
        var queue = new DeadlineQueue(4);
        Assert.Equal(long.MaxValue, queue.EarliestDeadline);
        queue.Add(2, 50);
        queue.Add(0, 10);
        queue.Add(3, 30);

        Assert.Equal(10, queue.EarliestDeadline);
        Assert.False(queue.TryTakeDue(9, out _));
        Assert.True(queue.TryTakeDue(10, out var id));
        Assert.Equal(0, id);
        Assert.Equal(30, queue.DeadlineOf(3));
        Assert.True(queue.Remove(3));
        Assert.False(queue.Remove(3));
        Assert.False(queue.Contains(3));
        Assert.True(queue.TryTakeDue(1000, out id));
        Assert.Equal(2, id);
        Assert.False(queue.TryTakeDue(long.MaxValue, out _));
    }

    [Fact]
    public void Misuse_is_refused()
    {
        var queue = new DeadlineQueue(2);
        queue.Add(1, 5);

        Assert.Throws<InvalidOperationException>(() => queue.Add(1, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Add(2, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => queue.Add(-1, 6));
        Assert.Throws<InvalidOperationException>(() => queue.DeadlineOf(0));
        Assert.False(queue.Remove(7));
    }
}
