using System;
using System.Collections.Generic;
using System.Linq;
using static TailGuard.Replication.Tests.Linearizability.RegisterOperation;

namespace TailGuard.Replication.Tests.Linearizability;

/// <summary>
/// The checker itself, on histories whose answer is known: it must reject the classic non-linearizable ones (a stale
/// read, reads that go back in time, two winners of one compare-and-swap, a lost increment) and accept linearizable
/// ones, including operations of unknown outcome; and on random histories generated from a real sequential run it
/// must accept them and reject them once one result is corrupted.
/// </summary>
public sealed class LinearizabilityCheckerTests
{
    [Fact]
    public void AReadAfterACompletedWriteThatSeesTheOldValueIsNotLinearizable()
    {
        Assert.False(Check(Write(0, "k", 1, 0, 10), Read(1, "k", 20, 30, 0)));
        Assert.True(Check(Write(0, "k", 1, 0, 10), Read(1, "k", 20, 30, 1)));
    }

    [Fact]
    public void AReadConcurrentWithAWriteMaySeeEitherValue()
    {
        Assert.True(Check(Write(0, "k", 1, 0, 100), Read(1, "k", 10, 20, 0)));
        Assert.True(Check(Write(0, "k", 1, 0, 100), Read(1, "k", 10, 20, 1)));
        Assert.False(Check(Write(0, "k", 1, 0, 100), Read(1, "k", 10, 20, 2)));
    }

    [Fact]
    public void ReadsThatGoBackInTimeAreNotLinearizable()
    {
        // Writes of 1 and 2 overlap each other; sequential reads see 1, then 2, then 1 again.
        Assert.False(Check(
            Write(0, "k", 1, 0, 100),
            Write(1, "k", 2, 0, 100),
            Read(2, "k", 10, 20, 1),
            Read(2, "k", 30, 40, 2),
            Read(2, "k", 50, 60, 1)));
        Assert.True(Check(
            Write(0, "k", 1, 0, 100),
            Write(1, "k", 2, 0, 100),
            Read(2, "k", 10, 20, 1),
            Read(2, "k", 30, 40, 2),
            Read(2, "k", 50, 60, 2)));
    }

    [Fact]
    public void TwoCompareAndSwapsFromTheSameValueCannotBothWin()
    {
        Assert.False(Check(CompareAndSwap(0, "k", 0, 1, 0, 10, true), CompareAndSwap(1, "k", 0, 2, 0, 10, true)));
        Assert.True(Check(CompareAndSwap(0, "k", 0, 1, 0, 10, true), CompareAndSwap(1, "k", 0, 2, 0, 10, false)));
        Assert.False(Check(CompareAndSwap(0, "k", 0, 1, 0, 10, true), Read(1, "k", 20, 30, 0)));
    }

    [Fact]
    public void AnIncrementAppliedTwiceOrLostIsNotLinearizable()
    {
        Assert.False(Check(Increment(0, "k", 0, 10, 1), Increment(1, "k", 0, 10, 1)));
        Assert.False(Check(Increment(0, "k", 0, 10, 1), Increment(0, "k", 20, 30, 3)));
        Assert.True(Check(Increment(0, "k", 0, 10, 2), Increment(1, "k", 0, 10, 1), Read(1, "k", 20, 30, 2)));
    }

    [Fact]
    public void AnOperationOfUnknownOutcomeMayTakeEffectLateOrNever()
    {
        // A write that timed out is seen by a read long after; or never.
        Assert.True(Check(Write(0, "k", 7, 0, 10).Unknown(), Read(1, "k", 1000, 1010, 7)));
        Assert.True(Check(Write(0, "k", 7, 0, 10).Unknown(), Read(1, "k", 1000, 1010, 0)));
        // But not before it was called.
        Assert.False(Check(Read(1, "k", 0, 5, 7), Write(0, "k", 7, 10, 20).Unknown()));
        // A timed-out write cannot explain a value going back: 7, then 0, then 7 again needs two writes of 7.
        Assert.False(Check(Write(0, "k", 7, 0, 10).Unknown(), Read(1, "k", 100, 110, 7), Read(1, "k", 200, 210, 0), Read(1, "k", 300, 310, 7)));
    }

    [Fact]
    public void ReadsOfUnknownOutcomeAreLeftOutOfTheSearch()
    {
        // Forty overlapping unanswered reads around one stale read: left in, each pending read doubles what the search
        // can visit and it runs out of steps; left out, the stale read is found at once.
        var history = new List<RegisterOperation> { Write(0, "k", 1, 0, 10), Read(1, "k", 20, 30, 0) };
        for (var i = 0; i < 40; i++)
        {
            history.Add(Read(2 + i, "k", i, 0, 0).Unknown());
        }

        Assert.False(LinearizabilityChecker.Check(history, out var failure, maxSteps: 10_000));
        Assert.Contains("not linearizable", failure, StringComparison.Ordinal);
        Assert.True(LinearizabilityChecker.Check(history[..1].Concat(history[2..]).ToList(), out _, maxSteps: 10_000));
    }

    [Fact]
    public void KeysAreCheckedApartAndTheFailingKeyIsNamed()
    {
        Assert.False(LinearizabilityChecker.Check([Write(0, "a", 1, 0, 10), Read(1, "a", 20, 30, 1), Write(0, "b", 1, 0, 10), Read(1, "b", 20, 30, 0)], out var failure));
        Assert.Contains("key b", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomHistoriesOfARealRegisterAreLinearizableAndACorruptedResultIsCaught(int seed)
    {
        var random = new Random(seed);
        var history = GenerateHistory(random, clients: 4, operations: 60);
        Assert.True(LinearizabilityChecker.Check(history, out var failure), failure);

        // A read that returns a value nobody ever wrote cannot be linearized anywhere.
        for (var i = 0; i < history.Count; i++)
        {
            if (history[i].Kind == RegisterOperationKind.Read)
            {
                history[i] = history[i] with { Result = -12345 };
                Assert.False(LinearizabilityChecker.Check(history, out _));
                return;
            }
        }

        Assert.Fail("no read generated");
    }

    /// <summary>
    /// Runs operations one after another on a real register, each at a distinct linearization point, and gives each
    /// an interval around its point (random widths, so intervals overlap): a linearizable history by construction.
    /// Some writes are marked as of unknown outcome.
    /// </summary>
    private static List<RegisterOperation> GenerateHistory(Random random, int clients, int operations)
    {
        var history = new List<RegisterOperation>();
        var clientFree = new long[clients];
        long state = 0;
        long point = 0;
        for (var i = 0; i < operations; i++)
        {
            point += random.Next(1, 10);
            var client = random.Next(clients);
            var call = Math.Max(clientFree[client], point - random.Next(0, 40));
            if (call > point)
            {
                call = point;
            }

            var ret = point + random.Next(0, 40);
            clientFree[client] = ret + 1;
            var value = random.Next(1, 5);
            RegisterOperation operation;
            switch (random.Next(4))
            {
                case 0:
                    operation = Read(client, "k", call, ret, state);
                    break;
                case 1:
                    operation = Write(client, "k", value, call, ret);
                    state = value;
                    break;
                case 2:
                    var expected = random.Next(0, 5);
                    var swapped = state == expected;
                    operation = CompareAndSwap(client, "k", expected, value, call, ret, swapped);
                    state = swapped ? value : state;
                    break;
                default:
                    state++;
                    operation = Increment(client, "k", call, ret, state);
                    break;
            }

            history.Add(operation.Kind == RegisterOperationKind.Write && random.Next(8) == 0 ? operation.Unknown() : operation);
        }

        return history;
    }

    private static bool Check(params RegisterOperation[] history) => LinearizabilityChecker.Check(history, out _);
}
