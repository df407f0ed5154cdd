using System;
using System.Buffers;
using TailGuard.Replication.Sessions;

namespace TailGuard.Replication.Tests.Sessions;

/// <summary>
/// The session table's decisions (docs/replication.md, "Exactly-once effects"), on the table itself: a write runs only in
/// the session registered for its client id at the epoch it carries.
/// </summary>
public sealed class SessionTableTests
{
    [Fact]
    public void AWriteOfAClientNeverRegisteredIsExpiredNotRun()
    {
        var table = new SessionTable(maxSessions: 4, maxResponsesPerSession: 4);
        Assert.Equal(SessionOutcome.Expired, table.Begin(new SessionHeader(7, Epoch: 0, Sequence: 1, Floor: 1), index: 1, out _));
        Assert.Equal(SessionOutcome.Expired, table.Begin(new SessionHeader(7, Epoch: 5, Sequence: 1, Floor: 1), index: 2, out _));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void ALateCopyOfARegistrationDoesNotReopenAnEvictedSessionForItsOldWrites()
    {
        var table = new SessionTable(maxSessions: 1, maxResponsesPerSession: 4);
        var write = RegisterAndRun(table, 42, nonce: 5, index: 10, sequence: 1, response: [1]);

        table.Register(7, nonce: 3, index: 12);  // one session at most: 42's goes
        Assert.NotEqual(write.Epoch, table.Register(42, nonce: 5, index: 13)); // a delayed copy of 42's registration, ordered late

        // The retry of write 1 carries the epoch it was sent in: it may have run there, so it is refused, not run again.
        Assert.Equal(SessionOutcome.Expired, table.Begin(write, index: 14, out _));
    }

    [Fact]
    public void AnotherAttemptOfARegistrationKeepsTheSessionItRegistered()
    {
        var table = new SessionTable(maxSessions: 4, maxResponsesPerSession: 4);
        var write = RegisterAndRun(table, 42, nonce: 5, index: 1, sequence: 1, response: [9]);

        // The first attempt's answer was lost and the retry was ordered after the session's first write.
        Assert.Equal(write.Epoch, table.Register(42, nonce: 5, index: 3));
        Assert.Equal(SessionOutcome.Duplicate, table.Begin(write, index: 4, out var stored));
        Assert.Equal(new byte[] { 9 }, stored);
    }

    [Fact]
    public void ARegistrationOfAnIdInUseReplacesItsSessionAndForgetsItsResponses()
    {
        var table = new SessionTable(maxSessions: 4, maxResponsesPerSession: 4);
        var oldWrite = RegisterAndRun(table, 42, nonce: 5, index: 1, sequence: 3, response: [9]);

        var renewed = table.Register(42, nonce: 6, index: 3); // a restarted client: another nonce
        Assert.NotEqual(oldWrite.Epoch, renewed);
        Assert.Equal(SessionOutcome.Execute, table.Begin(oldWrite with { Epoch = renewed }, index: 4, out var stored));
        Assert.Null(stored);
        Assert.Equal(SessionOutcome.Expired, table.Begin(oldWrite, index: 5, out _));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void ASnapshotKeepsEachSessionsEpochAndResponses()
    {
        var table = new SessionTable(maxSessions: 4, maxResponsesPerSession: 4);
        var write = RegisterAndRun(table, 42, nonce: 5, index: 8, sequence: 2, response: [1, 2, 3]);
        var epoch = write.Epoch;

        var bytes = new ArrayBufferWriter<byte>();
        table.Write(bytes);
        var restored = new SessionTable(maxSessions: 4, maxResponsesPerSession: 4);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes.WrittenMemory));
        restored.Read(ref reader);

        Assert.Equal(SessionOutcome.Duplicate, restored.Peek(write, out var stored));
        Assert.Equal(new byte[] { 1, 2, 3 }, stored);
        Assert.Equal(SessionOutcome.Expired, restored.Peek(write with { Epoch = epoch + 1 }, out _));
        Assert.Equal(epoch, restored.Register(42, nonce: 5, index: 20)); // the nonce is kept too

        // A parked registration is not a call the snapshot settled, whatever its nonce happens to equal.
        Assert.Equal(SessionOutcome.Execute, restored.Peek(SessionHeader.Registration(42, nonce: epoch), out _));
    }

    // Registers a session at index and runs one write of it at the next index, as a replica applies them: the write's header.
    private static SessionHeader RegisterAndRun(SessionTable table, ulong clientId, long nonce, long index, long sequence, byte[] response)
    {
        var write = new SessionHeader(clientId, table.Register(clientId, nonce, index), sequence, Floor: 1);
        Assert.Equal(SessionOutcome.Execute, table.Begin(write, index + 1, out _));
        table.Complete(write, response);
        return write;
    }

    [Theory]
    [InlineData(42UL, 9L, 0L, 0L, 0, true)]   // a registration (nonce 9): the header alone
    [InlineData(42UL, 9L, 0L, 0L, 4, false)]  // a registration with a payload
    [InlineData(42UL, 0L, 0L, 0L, 0, false)]  // a registration without a nonce
    [InlineData(42UL, 9L, 0L, 1L, 0, false)]  // a registration with a floor
    [InlineData(42UL, 3L, 5L, 2L, 4, true)]   // a call of a registered session
    [InlineData(42UL, 0L, 5L, 2L, 4, true)]   // a read of a session not registered yet
    [InlineData(42UL, -1L, 5L, 2L, 4, false)] // a negative epoch
    [InlineData(42UL, 3L, 5L, 6L, 4, false)]  // a floor above the sequence
    [InlineData(42UL, 3L, 5L, 0L, 4, false)]  // a call with floor 0
    public void OnlyHeadersAClientSendsAreRead(ulong clientId, long epoch, long sequence, long floor, int payload, bool valid)
    {
        var bytes = new byte[SessionHeader.Size + payload];
        new SessionHeader(clientId, epoch, sequence, floor).Write(bytes);
        Assert.Equal(valid, SessionHeader.TryRead(bytes, out var header));
        if (valid)
        {
            Assert.Equal(new SessionHeader(clientId, epoch, sequence, floor), header);
        }

        Assert.False(SessionHeader.TryRead(bytes.AsSpan(0, SessionHeader.Size - 1), out _));
    }
}
