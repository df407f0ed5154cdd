using System;
using System.Buffers;
using System.Runtime.InteropServices;
using TailGuard.R2P2;
using TailGuard.Tests.R2P2.Infrastructure;

namespace TailGuard.Tests.R2P2.Transport;

/// <summary>Buffers go back to their owner exactly once, and a buffer may live in memory its owner manages (native frames).</summary>
public sealed unsafe class PacketBufferTests
{
    [Fact]
    public void A_buffer_returned_twice_throws_instead_of_reaching_two_holders()
    {
        var pool = new PacketBufferPool(64);
        var buffer = pool.Rent();
        buffer.Return();

        Assert.Throws<InvalidOperationException>(buffer.Return);
        Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));
        Assert.Equal(1, pool.IdleCount);
        Assert.Same(buffer, pool.Rent());
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public void A_standalone_buffer_has_no_owner_and_its_return_does_nothing()
    {
        var buffer = new PacketBuffer(16) { Length = 3 };
        buffer.Return();
        buffer.Return();

        Assert.Null(buffer.Owner);
        Assert.Equal(3, buffer.Span.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Length = 17);
    }

    [Fact]
    public void A_reissued_buffer_is_empty_and_only_its_owner_reissues_it()
    {
        var pool = new PacketBufferPool(64);
        var buffer = pool.Rent();
        buffer.Length = 10;
        buffer.Address = PacketAddress.Parse("10.0.0.1:1");

        Assert.Throws<InvalidOperationException>(() => buffer.Reissue(pool)); // not returned yet
        buffer.Return();
        Assert.Throws<InvalidOperationException>(() => buffer.Reissue(new PacketBufferPool(64)));
        var again = pool.Rent();

        Assert.Same(buffer, again);
        Assert.Equal(0, again.Length);
        Assert.True(again.Address.IsEmpty);
    }

    [Fact]
    public void A_buffer_over_native_memory_reads_and_writes_that_memory_and_goes_back_to_its_owner()
    {
        const int Size = 256;
        var region = (byte*)NativeMemory.AllocZeroed(2 * Size);
        try
        {
            var owner = new FrameOwner();
            var buffer = new PacketBuffer(owner, (nint)region, Size, ownerToken: 42);
            "frame"u8.CopyTo(buffer.Storage);
            buffer.Length = 5;

            Assert.Equal((byte)'f', region[0]);
            Assert.Equal((nint)region, buffer.BaseAddress);
            Assert.Equal("frame"u8.ToArray(), new ReadOnlySequence<byte>(buffer.Memory).ToArray());
            Assert.Equal(42, buffer.OwnerToken);

            buffer.Remap(owner, (nint)(region + Size), Size);
            buffer.Storage[0] = 7;
            Assert.Equal(7, region[Size]);
            Assert.Throws<InvalidOperationException>(() => buffer.Remap(new FrameOwner(), (nint)region, Size));

            buffer.Return();
            Assert.Same(buffer, owner.Reclaimed);
            Assert.Throws<InvalidOperationException>(buffer.Return);
        }
        finally
        {
            NativeMemory.Free(region);
        }
    }

    [Fact]
    public void A_pinned_array_buffer_cannot_be_remapped()
    {
        var pool = new PacketBufferPool(64);
        Assert.Throws<InvalidOperationException>(() => pool.Rent().Remap(pool, 1, 1));
    }

    [Fact]
    public void A_pool_refuses_a_capacity_above_its_buffer_size_and_buffers_of_other_owners()
    {
        var pool = new PacketBufferPool(64);
        var tracking = new TrackingBufferOwner();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(65));
        Assert.Equal(64, pool.Rent(64).Capacity);
        Assert.Throws<ArgumentException>(() => pool.Return(tracking.Rent(10)));
    }

    private sealed class FrameOwner : IPacketBufferOwner
    {
        public PacketBuffer? Reclaimed { get; private set; }

        public void Reclaim(PacketBuffer buffer) => Reclaimed = buffer;
    }
}
