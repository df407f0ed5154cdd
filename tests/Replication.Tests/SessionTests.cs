using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.Replication.Tests.Infrastructure;
using TailGuard.Tool.Commands.Cluster;

namespace TailGuard.Replication.Tests;

/// <summary>
/// A client's session (docs/replication.md, "Exactly-once effects"): registered before its first write, so a replica
/// runs a write only in the session registered for its client id at the epoch the write carries, and refuses the
/// writes of any other (evicted, replaced, never registered) unrun. Several of these used to go wrong: a client whose
/// first call was a read or whose first write was lost wedged for good; a first write whose answer was lost could run
/// twice after an eviction; a client restarted with its old id could be answered the old client's stored responses.
/// </summary>
public sealed class SessionTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tg-sessions-" + Guid.NewGuid().ToString("N"));
    private ReplicatedNode? _node;

    private IPEndPoint Member => _node!.EndPoint;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task AClientWhoseFirstCallsAreReadsCanWrite()
    {
        await StartNodeAsync(maxSessions: 16);
        await using var client = ReplicatedClient.CreateUdp([Member], Options());
        var store = new ClusterKeyValueClient(client);

        // Reads take sequence numbers too, so the floor is 3 by the first write, and the replica has no session yet.
        Assert.Equal(0, await store.ReadAsync("k"));
        Assert.Equal(0, await store.ReadAsync("k"));
        await store.WriteAsync("k", 5);
        Assert.Equal(6, await store.IncrementAsync("k"));
        Assert.Equal(0, _node!.Statistics.ExpiredSessions);
    }

    [Fact]
    public async Task AClientWhoseFirstWriteWasLostCanWriteAgain()
    {
        await StartNodeAsync(maxSessions: 16);
        var marker = Encoding.UTF8.GetBytes("lost-key");
        var transport = new LosingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), packet => packet.Span.IndexOf(marker) >= 0);
        // One attempt per call (the attempt lasts the whole call), and long enough that the calls after the lost one
        // are answered on a busy machine: 200 ms timed out a session's first write there.
        var options = new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(2) };
        await using var client = new ReplicatedClient(transport, [PacketAddress.FromEndPoint(Member)], options);
        var store = new ClusterKeyValueClient(client);

        // Its only attempt is lost: the call times out, the floor moves past it, and the replica never heard of the client.
        await Assert.ThrowsAsync<R2P2TimeoutException>(async () => await store.WriteAsync("lost-key", 1));
        Assert.True(transport.Lost > 0, "the fault was not injected, so the test proves nothing");

        await store.WriteAsync("other", 2);
        Assert.Equal(2, await store.ReadAsync("other"));
        Assert.Equal(0, await store.ReadAsync("lost-key"));
        Assert.Equal(0, _node!.Statistics.ExpiredSessions);
    }

    [Fact]
    public async Task AClientWhoseSessionWasEvictedWritesOnInANewSession()
    {
        await StartNodeAsync(maxSessions: 1);
        await using var first = ReplicatedClient.CreateUdp([Member], Options());
        await using var second = ReplicatedClient.CreateUdp([Member], Options());
        var firstStore = new ClusterKeyValueClient(first);
        await firstStore.WriteAsync("a", 1);
        await firstStore.WriteAsync("a", 2); // answered: the replica has this client's session, so its floor counts
        await new ClusterKeyValueClient(second).WriteAsync("b", 1); // one session at most: the first client's goes
        var oldId = first.ClientId;

        // Refused unrun (SessionExpired) on its only attempt, so it cannot have run: sent again in a new session.
        await firstStore.WriteAsync("a", 3);
        Assert.Equal(3, await firstStore.ReadAsync("a"));
        Assert.Equal(4, await firstStore.IncrementAsync("a"));
        Assert.NotEqual(oldId, first.ClientId);
        Assert.Equal(1, first.Statistics.SessionsRenewed);
        Assert.Equal(0, first.Statistics.Failures);
        Assert.Equal(1, _node!.Statistics.ExpiredSessions);
    }

    [Fact]
    public async Task ARetriedCallWhoseSessionWasEvictedFailsSessionExpiredAndIsNotRun()
    {
        await StartNodeAsync(maxSessions: 1);
        var marker = Encoding.UTF8.GetBytes("retried-key");
        var transport = new LosingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), packet => packet.Span.IndexOf(marker) >= 0);
        await using var first = new ReplicatedClient(transport, [PacketAddress.FromEndPoint(Member)], Options());
        await using var second = ReplicatedClient.CreateUdp([Member], Options());
        var firstStore = new ClusterKeyValueClient(first);
        await firstStore.WriteAsync("a", 1);

        // The first attempt is lost; while the call waits for its retry, another client's session evicts this one. The
        // replica cannot tell the retry from one of a call that ran in the evicted session, so it refuses it, and the
        // client cannot say whether the call ran: the caller hears SessionExpired.
        var retried = firstStore.WriteAsync("retried-key", 7).AsTask();
        await new ClusterKeyValueClient(second).WriteAsync("b", 1);
        var expired = await Assert.ThrowsAsync<R2P2ServiceException>(() => retried);
        Assert.Equal(R2P2ServiceStatus.SessionExpired, expired.Status);
        Assert.True(transport.Lost > 0, "the fault was not injected, so the test proves nothing");
        Assert.Equal(0, await firstStore.ReadAsync("retried-key"));

        // The client goes on in a new session.
        await firstStore.WriteAsync("retried-key", 8);
        Assert.Equal(8, await firstStore.ReadAsync("retried-key"));
        Assert.Equal(1, first.Statistics.SessionsRenewed);
    }

    [Fact]
    public async Task ConcurrentFirstWritesOfASessionShareOneRegistration()
    {
        await StartNodeAsync(maxSessions: 16);

        // An attempt timeout no busy machine reaches here: a retried registration attempt would count twice.
        var options = new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(20) };
        await using var client = ReplicatedClient.CreateUdp([Member], options);
        var store = new ClusterKeyValueClient(client);

        // Eight writes start before any has a registered session: they wait for one registration, then go in it.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => store.WriteAsync("k" + i, i).AsTask()));
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(i, await store.ReadAsync("k" + i));
        }

        Assert.Equal(1, client.Statistics.Registrations);
        Assert.Equal(1, _node!.Statistics.SessionsRegistered);
        Assert.Equal(0, client.Statistics.SessionsRenewed);
    }

    [Fact]
    public async Task AFirstWriteWhoseAnswerWasLostIsNotRunAgainAfterItsSessionWasEvicted()
    {
        await StartNodeAsync(maxSessions: 1);

        // One replica, one call at a time: the first answer is the registration's, the second the increment's.
        var transport = new ReplyLosingTransport(UdpTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0)), (ordinal, _) => ordinal == 2);
        var options = new ReplicatedClientOptions { AttemptTimeout = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(10) };
        await using var first = new ReplicatedClient(transport, [PacketAddress.FromEndPoint(Member)], options);
        await using var second = ReplicatedClient.CreateUdp([Member], Options());

        // The increment runs, its answer is lost; while the call waits to retry, another client's session evicts this
        // one. Before sessions were registered, the retry of a session's first write was run as new: the counter went to 2.
        var increment = new ClusterKeyValueClient(first).IncrementAsync("counter").AsTask();
        await WaitUntilAsync(() => transport.Lost > 0);
        await new ClusterKeyValueClient(second).WriteAsync("other", 1);

        var expired = await Assert.ThrowsAsync<R2P2ServiceException>(() => increment);
        Assert.Equal(R2P2ServiceStatus.SessionExpired, expired.Status);
        Assert.Equal(1, await new ClusterKeyValueClient(second).ReadAsync("counter"));
        Assert.Equal(1, _node!.Statistics.ExpiredSessions);
    }

    [Fact]
    public async Task AClientRestartedWithTheSameClientIdStartsAfreshAndIsNeverAnsweredTheOldClientsResponses()
    {
        await StartNodeAsync(maxSessions: 16);
        var options = new ReplicatedClientOptions { ClientId = 42, AttemptTimeout = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromSeconds(10) };
        await using (var before = ReplicatedClient.CreateUdp([Member], options))
        {
            var store = new ClusterKeyValueClient(before);
            for (var i = 1; i <= 5; i++)
            {
                await store.WriteAsync("r", i); // sequence numbers 1 to 5: the replica keeps the response of 5
            }
        }

        // Its numbers start at 1 again: four reads take 1 to 4, so the increment is number 5. Before sessions were
        // registered, the replica answered it with the old client's stored response to write 5, and never ran it.
        await using var after = ReplicatedClient.CreateUdp([Member], options);
        var restarted = new ClusterKeyValueClient(after);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(5, await restarted.ReadAsync("r"));
        }

        Assert.Equal(6, await restarted.IncrementAsync("r"));
        Assert.Equal(6, await restarted.ReadAsync("r"));
        Assert.Equal(42UL, after.ClientId);
        Assert.Equal(0, after.Statistics.SessionsRenewed);
        Assert.Equal(0, after.Statistics.Timeouts);
        Assert.Equal(0, _node!.Statistics.Duplicates);
        Assert.Equal(2, _node.Statistics.SessionsRegistered);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the fault was not injected in time, so the test proves nothing");
            await Task.Delay(5);
        }
    }

    private static ReplicatedClientOptions Options() => new() { AttemptTimeout = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromSeconds(10) };

    private async Task StartNodeAsync(int maxSessions)
    {
        var store = new ClusterKeyValueStore();
        var options = new ReplicatedNodeOptions
        {
            Members = [FreePorts.Pick(IPAddress.Loopback, 1)[0]],
            Self = 0,
            DataDirectory = _directory,
            MaxSessions = maxSessions,
        };
        _node = await ReplicatedNode.StartAsync(options, new ClusterKeyValueDispatcher(store), store);
        await _node.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
    }
}
