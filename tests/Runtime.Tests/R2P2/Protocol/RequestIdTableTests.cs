using System;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Tests.R2P2.Protocol;

/// <summary>The rid allocator: the reference's counter from 1, wrapping, never handing out a rid in use (case 12).</summary>
public sealed class RequestIdTableTests
{
    [Fact]
    public void Rids_start_at_1_and_count_up()
    {
        var table = new RequestIdTable<object>();

        Assert.Equal(1, table.Add(new object()));
        Assert.Equal(2, table.Add(new object()));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void The_counter_wraps_modulo_65536_and_skips_rids_in_use()
    {
        var table = new RequestIdTable<object>();
        var held = new object();
        table.NextRequestId = 0;
        Assert.Equal(0, table.Add(held));
        table.NextRequestId = 65535;

        Assert.Equal(65535, table.Add(new object()));
        Assert.Equal(1, table.Add(new object())); // 0 is still in use: skipped
        Assert.Same(held, table[0]);
    }

    [Fact]
    public void A_freed_rid_is_reused_and_a_stale_owner_frees_nothing()
    {
        var table = new RequestIdTable<object>();
        var first = new object();
        var rid = table.Add(first);

        Assert.False(table.Remove(rid, new object()));
        Assert.True(table.Remove(rid, first));
        Assert.False(table.Remove(rid, first));
        Assert.Null(table[rid]);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_full_table_refuses_the_65537th_rid()
    {
        var table = new RequestIdTable<object>();
        var entry = new object();
        for (var i = 0; i < 65536; i++)
        {
            table.Add(entry);
        }

        Assert.Throws<InvalidOperationException>(() => table.Add(entry));
        Assert.Equal(65536, table.Count);
    }
}
