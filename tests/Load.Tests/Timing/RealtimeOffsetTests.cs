using System.Diagnostics;
using TailGuard.Load.Timing;

namespace TailGuard.Load.Tests.Timing;

/// <summary>
/// The conversion of the kernel's realtime stamps to the monotonic clock refuses a reading the thread was stopped in
/// the middle of (docs/load.md, "Timestamps close to the socket"). Readings here are made up, so the stop is certain.
/// </summary>
public sealed class RealtimeOffsetTests
{
    private static readonly long Microsecond = Stopwatch.Frequency / 1_000_000;

    [Fact]
    public void A_tight_reading_maps_the_realtime_instant_to_the_midpoint_of_its_bracket()
    {
        var offset = new RealtimeOffset();
        var before = 5_000 * Microsecond;
        Assert.True(offset.Offer(before, realtimeNanoseconds: 1_700_000_000_000_000_000, before + Microsecond / 2));

        Assert.True(offset.IsKnown);
        Assert.Equal(before + Microsecond / 4, offset.MonotonicAt(1_700_000_000_000_000_000));
        Assert.Equal(before + Microsecond / 4 + 1_000 * Microsecond, offset.MonotonicAt(1_700_000_000_000_000_000 + 1_000_000));
    }

    [Fact]
    public void A_reading_the_thread_was_stopped_in_the_middle_of_is_refused_and_the_last_tight_offset_stays()
    {
        var offset = new RealtimeOffset();
        const long realtime = 1_700_000_000_000_000_000;
        var before = 5_000 * Microsecond;
        offset.Offer(before, realtime, before);

        // 10 ms later the thread reads the monotonic clock, stops for 6 ms, then reads the realtime clock: the realtime
        // reading belongs 6 ms after the first monotonic one. Believing the pair would put every stamp 6 ms early.
        var later = before + 10_000 * Microsecond;
        Assert.False(offset.Offer(later, realtime + 16_000_000, later + 6_000 * Microsecond));

        Assert.Equal(1, offset.Refused);
        Assert.Equal(6_000_000, offset.WidestRefusedNanoseconds);
        Assert.Equal(later, offset.MonotonicAt(realtime + 10_000_000));
    }

    [Fact]
    public void A_wide_first_reading_is_used_until_a_tight_one_replaces_it()
    {
        var offset = new RealtimeOffset();
        const long realtime = 1_700_000_000_000_000_000;
        Assert.False(offset.Offer(0, realtime, 4_000 * Microsecond));
        Assert.True(offset.IsKnown);
        Assert.Equal(2_000 * Microsecond, offset.MonotonicAt(realtime));

        Assert.True(offset.Offer(8_000 * Microsecond, realtime + 7_000_000, 8_000 * Microsecond));
        Assert.Equal(8_000 * Microsecond, offset.MonotonicAt(realtime + 7_000_000));
    }

    [Fact]
    public void A_bracket_that_runs_backwards_is_refused()
    {
        var offset = new RealtimeOffset();
        offset.Offer(1_000 * Microsecond, 1_000_000_000, 1_000 * Microsecond);
        Assert.False(offset.Offer(2_000 * Microsecond, 5_000_000_000, 1_999 * Microsecond));
        Assert.Equal(1_000 * Microsecond, offset.MonotonicAt(1_000_000_000));
    }

    [Fact]
    public void Calibrating_against_the_real_clocks_agrees_with_the_runtime_s_realtime_clock()
    {
        var offset = new RealtimeOffset();
        var monotonic = offset.Calibrate();
        Assert.True(offset.IsKnown);

        // DateTime.UtcNow reads the same realtime clock, in 100 ns ticks; a second apart would mean the wrong clock.
        var runtimeNow = (System.DateTime.UtcNow - System.DateTime.UnixEpoch).Ticks * 100;
        Assert.InRange(offset.MonotonicAt(runtimeNow) - monotonic, -Microsecond, Stopwatch.Frequency);
    }
}
