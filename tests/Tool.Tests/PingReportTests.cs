using TailGuard.R2P2;
using TailGuard.Tool.Commands.Ping;

namespace TailGuard.Tool.Tests;

/// <summary>
/// How <c>tailguard ping</c> counts a failed call. Its "N consecutive timeouts" give-up and its "timeouts" count must
/// agree on what a timeout is, whichever thread of the client noticed that the call's timer fired.
/// </summary>
public sealed class PingReportTests
{
    [Fact]
    public void A_call_the_clients_watchdog_ended_counts_as_a_timeout_not_a_failure()
    {
        // The watchdog ends only calls whose timers fired; the ping never blocks its loop, so this is a starved loop on a
        // busy machine. Counted as a failure, it broke the run of timeouts and the report said "timeouts 4 ... failed 1".
        var report = new PingReport();
        Assert.True(report.CountFailure(new R2P2ReceiveLoopBlockedException()));
        Assert.True(report.CountFailure(new R2P2TimeoutException()));
        Assert.Equal(2, report.Timeouts);
        Assert.Equal(0, report.Failures);
    }

    [Fact]
    public void Drops_and_other_failures_are_counted_apart_and_are_not_timeouts()
    {
        var report = new PingReport();
        Assert.False(report.CountFailure(new R2P2DroppedException()));
        Assert.False(report.CountFailure(new R2P2MalformedResponseException()));
        Assert.False(report.CountFailure(new R2P2Exception("The request could not be sent.")));
        Assert.Equal((0, 1, 2), (report.Timeouts, report.Drops, report.Failures));
    }
}
