using System;
using System.Collections.Generic;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>
/// The rid allocator (case 12): every rid once per 65536 allocations in an order keyed per table, never a rid in use,
/// never a quarantined rid before its quarantine ends.
/// </summary>
public sealed class RequestIdTableTests
{
    [Fact]
    public void Every_rid_comes_once_per_65536_allocations_and_then_the_cycle_repeats()
    {
        var table = new RequestIdTable<object>();
        var entry = new object();
        var seen = new HashSet<ushort>();
        var order = new ushort[65536];
        for (var i = 0; i < 65536; i++)
        {
            var rid = table.Add(entry, now: 0);
            Assert.True(seen.Add(rid), $"rid {rid} came twice in one cycle");
            order[i] = rid;
            Assert.True(table.Remove(rid, entry));
        }

        for (var i = 0; i < 16; i++)
        {
            var rid = table.Add(entry, now: 0);
            Assert.Equal(order[i], rid); // wraps modulo 65536: the same cycle again
            table.Remove(rid, entry);
        }
    }

    [Fact]
    public void The_next_rid_can_be_set_and_rids_in_use_are_skipped()
    {
        var table = new RequestIdTable<object>();
        var held = new object();
        table.NextRequestId = 0;
        Assert.Equal(0, table.Add(held, now: 0));

        table.NextRequestId = 65535;
        Assert.Equal(65535, table.Add(new object(), now: 0));
        table.NextRequestId = 0;
        Assert.NotEqual(0, table.Add(new object(), now: 0)); // 0 is still in use: skipped
        Assert.Same(held, table[0]);
        Assert.Equal(3, table.Count);
    }

    [Fact]
    public void A_freed_rid_is_reused_and_a_stale_owner_frees_nothing()
    {
        var table = new RequestIdTable<object>();
        var first = new object();
        var rid = table.Add(first, now: 0);

        Assert.False(table.Remove(rid, new object()));
        Assert.True(table.Remove(rid, first));
        Assert.False(table.Remove(rid, first));
        Assert.Null(table[rid]);
        Assert.Equal(0, table.Count);
        table.NextRequestId = rid;
        Assert.Equal(rid, table.Add(first, now: 0));
    }

    [Fact]
    public void A_quarantined_rid_is_skipped_until_its_quarantine_ends()
    {
        var table = new RequestIdTable<object>();
        var call = new object();
        var second = 1L << 30; // quarantines are kept to about 2^20 clock units: work in coarser steps
        var rid = table.Add(call, now: 0);

        Assert.False(table.Quarantine(rid, new object(), until: second)); // a stale owner
        Assert.True(table.Quarantine(rid, call, until: second));
        Assert.Null(table[rid]);
        Assert.Equal(0, table.Count);
        Assert.Equal(1, table.QuarantinedCount);
        Assert.True(table.IsQuarantined(rid, now: second / 2));

        table.NextRequestId = rid;
        Assert.NotEqual(rid, table.Add(new object(), now: second / 2));
        Assert.False(table.IsQuarantined(rid, now: 2 * second));
        table.NextRequestId = rid;
        Assert.Equal(rid, table.Add(new object(), now: 2 * second));
        Assert.Equal(0, table.QuarantinedCount);
    }

    [Fact]
    public void A_full_table_refuses_the_65537th_rid_and_quarantined_rids_count_as_taken()
    {
        var table = new RequestIdTable<object>();
        var entry = new object();
        var rids = new ushort[65536];
        for (var i = 0; i < 65536; i++)
        {
            rids[i] = table.Add(entry, now: 0);
        }

        Assert.Throws<InvalidOperationException>(() => table.Add(entry, now: 0));
        Assert.False(table.TryAdd(entry, now: 0, out _));
        Assert.Equal(65536, table.Count);

        var later = 1L << 32;
        foreach (var rid in rids)
        {
            table.Quarantine(rid, entry, until: later);
        }

        Assert.False(table.TryAdd(entry, now: 0, out _)); // every rid is quarantined
        Assert.False(table.TryAdd(entry, now: later / 2, out _)); // still, and answered without a second scan
        Assert.True(table.TryAdd(entry, now: 2 * later, out _)); // the quarantines ended
    }
}
