using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.R2P2;
using TailGuard.R2P2.Protocol;

namespace TailGuard.Load.R2P2;

/// <summary>
/// The one place the load generator meets the R2P2 client's call API: one client per connection over a timestamping
/// transport. Raw echo requests use the client's callback form (<see cref="StartEcho"/>: no task, no exception at
/// MaxInFlight, nothing allocated per call); generated service clients return a <see cref="ValueTask{TResult}"/>, which a
/// pooled call per request turns into an outcome through a cached continuation (<see cref="Start{TResult}"/>). Both
/// have a batch form: calls that fell due together queue their first packets in the connection's
/// <see cref="R2P2CallBatch"/> and leave in one send (<see cref="StartEchoBatch"/>; <see cref="Queue{TResult}"/> and
/// <see cref="Flush"/> for a generated client made over <see cref="Batch"/>).
/// </summary>
internal sealed class R2P2Connection : IAsyncDisposable, IDisposable
{
    private readonly TimestampingTransport _transport;
    private readonly R2P2CallBatch _batch;

    // The call whose first packet each slot of the batch holds, for the transport to tell it its request id at the flush.
    private readonly IRequestIdListener?[] _queued;
    private long _receiveLoopErrors;
    private int _requests;

    private R2P2Connection(R2P2Client client, TimestampingTransport transport)
    {
        Client = client;
        _transport = transport;
        _batch = client.CreateBatch(); // used by the connection's one sending thread only
        _queued = new IRequestIdListener?[_batch.Capacity];
        client.ReceiveLoopError += (_, _) => Interlocked.Increment(ref _receiveLoopErrors);
    }

    /// <summary>
    /// Faults of the client's machinery so far: receive-loop errors, completion callbacks or continuations that threw, and
    /// the watchdog finding the loop blocked (<see cref="LoadConnection.Faults"/>).
    /// </summary>
    public long Faults => Interlocked.Read(ref _receiveLoopErrors) + Client.Statistics.CallbackFailures + Client.Statistics.BlockedLoopDetections;

    public R2P2Client Client { get; }

    /// <summary>The connection's batch (one sending thread's): a generated client made over it queues what <see cref="Queue{TResult}"/> starts.</summary>
    public R2P2CallBatch Batch => _batch;

    public TimestampSource ReceiveTimestamps => _transport.Source;

    public static R2P2Connection Open(IPEndPoint server, LoadConnectionSettings settings, R2P2TargetOptions options)
    {
        var transport = TimestampingTransport.Bind(server, settings, options);
        try
        {
            // A batch holds its first packets (header and payload size, as the client rents them) until its flush, while
            // the client's receive loop rents a batch of replacements from the same pool when a burst of answers comes back.
            transport.FillPool(R2P2Header.Size + options.PacketPayloadSize, R2P2CallBatch.DefaultCapacity + new ReceiveLoopOptions().BatchSize);
            return new R2P2Connection(new R2P2Client(transport, PacketAddress.FromEndPoint(server), options.ClientOptions(settings)), transport);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Counts one more pooled request of the generator and has the client own a call for each, and one more: a call goes
    /// back to the client's pool only after its callback or continuation freed the generator's request, so a sender that
    /// reuses the request at once, while the receive loop is descheduled in between, starts one call more than are in
    /// flight (docs/load.md, "The sending thread"). Called where the generator makes a request, ahead of the sending thread.
    /// </summary>
    public void AddRequest() => Client.PrepareCalls(Interlocked.Increment(ref _requests) + 1);

    /// <summary>Starts a call whose result <paramref name="call"/> classifies: marks it so the transport tells it its request id.</summary>
    public void Start<TResult>(R2P2Call<TResult> call, Func<R2P2Client, ValueTask<TResult>> send)
    {
        ValueTask<TResult> pending;
        TimestampingTransport.BeginSend(call);
        try
        {
            pending = send(Client);
        }
        catch (Exception)
        {
            call.Fail();
            return;
        }
        finally
        {
            TimestampingTransport.EndSend();
        }

        call.Await(pending);
    }

    /// <summary>
    /// Starts a call, as <see cref="Start{TResult}"/> does, through a client made over <see cref="Batch"/>: its first
    /// packet waits in the batch until <see cref="Flush"/>, which tells the call its request id. A call the client
    /// refuses fails at once. <paramref name="send"/> makes one call; a full batch is flushed first, so the batch never
    /// flushes itself between a call and its mark.
    /// </summary>
    public void Queue<TResult>(R2P2Call<TResult> call, Func<R2P2Client, ValueTask<TResult>> send)
    {
        if (_batch.Count == _batch.Capacity)
        {
            Flush();
        }

        var slot = _batch.Count;
        ValueTask<TResult> pending;
        try
        {
            pending = send(Client);
        }
        catch (Exception)
        {
            call.Fail();
            return;
        }

        var count = _batch.Count;
        if (count > slot)
        {
            _queued[slot] = call;
        }
        else if (count < slot)
        {
            // A send that made several calls filled the batch, which flushed itself without the marks: drop them.
            Array.Clear(_queued);
        }

        call.Await(pending);
    }

    /// <summary>
    /// Sends the first packets <see cref="Queue{TResult}"/> left in the batch in one transport send (one <c>sendmmsg</c>),
    /// each call told its packet's request id; a flush the transport refuses ends those calls as unsent.
    /// </summary>
    public void Flush()
    {
        var count = _batch.Count;
        TimestampingTransport.BeginSend(_queued);
        try
        {
            _batch.Flush();
        }
        finally
        {
            TimestampingTransport.EndSend();
            Array.Clear(_queued, 0, count);
        }
    }

    /// <summary>
    /// Starts an echo call whose end <paramref name="call"/> is told by callback; a call the client refuses (MaxInFlight
    /// reached, or the client disposed) fails at once, without an exception in the common case.
    /// </summary>
    public void StartEcho(R2P2EchoCall call, ReadOnlyMemory<byte> payload) => Start(call, payload, batch: null);

    /// <summary>
    /// Starts echo calls that fell due together and sends their first packets in one transport send (one <c>sendmmsg</c>;
    /// <see cref="R2P2CallBatch"/>, which flushes itself every <see cref="R2P2CallBatch.DefaultCapacity"/> calls). A call
    /// the client refuses fails at once, as in <see cref="StartEcho"/>; one whose
    /// packet the transport refuses ends as unsent through its callback.
    /// </summary>
    public void StartEchoBatch(ReadOnlySpan<LoadRequest> requests, ReadOnlyMemory<byte> payload)
    {
        foreach (var request in requests)
        {
            Start((R2P2EchoCall)request.State!, payload, _batch);
        }

        _batch.Flush();
    }

    private void Start(R2P2EchoCall call, ReadOnlyMemory<byte> payload, R2P2CallBatch? batch)
    {
        bool started;
        try
        {
            started = batch is null ? Client.TryCall(payload, call) : batch.TryCall(payload, call);
        }
        catch (Exception)
        {
            started = false;
        }

        if (!started)
        {
            call.Fail();
        }
    }

    public long ReceivedAt(ushort requestId) => _transport.ReceivedAt(requestId);

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    public void Dispose() => Client.Dispose();
}

/// <summary>
/// One pooled in-flight call: holds the pending <see cref="ValueTask{TResult}"/>, and a continuation allocated once, so
/// attaching it to the client's pooled completion source allocates nothing per call.
/// </summary>
internal sealed class R2P2Call<TResult> : IRequestIdListener
{
    private readonly LoadRequest _request;
    private readonly R2P2Connection _connection;
    private readonly Func<TResult, LoadOutcome> _classify;
    private readonly Action _onCompleted;
    private ValueTask<TResult> _pending;
    private ushort _requestId;
    private bool _sent;

    public R2P2Call(LoadRequest request, R2P2Connection connection, Func<TResult, LoadOutcome> classify)
    {
        _request = request;
        _connection = connection;
        _classify = classify;
        _onCompleted = OnCompleted;
    }

    public LoadRequest Request => _request;

    public void OnRequestId(ushort requestId)
    {
        _requestId = requestId;
        _sent = true;
    }

    public void Await(ValueTask<TResult> pending)
    {
        _pending = pending;
        if (pending.IsCompleted)
        {
            OnCompleted();
        }
        else
        {
            pending.GetAwaiter().UnsafeOnCompleted(_onCompleted);
        }
    }

    public void Fail()
    {
        _sent = false;
        _request.Complete(LoadOutcome.Failed);
    }

    private void OnCompleted()
    {
        var pending = _pending;
        _pending = default;
        LoadOutcome outcome;
        try
        {
            outcome = _classify(pending.GetAwaiter().GetResult());
        }
        catch (R2P2TimeoutException)
        {
            outcome = LoadOutcome.Timeout;
        }
        catch (R2P2DroppedException)
        {
            outcome = LoadOutcome.Dropped;
        }
        catch (R2P2MalformedResponseException)
        {
            outcome = LoadOutcome.WrongResponse;
        }
        catch (R2P2ServiceException)
        {
            outcome = LoadOutcome.WrongResponse;
        }
        catch (Exception)
        {
            outcome = LoadOutcome.Failed;
        }

        var received = outcome == LoadOutcome.Ok && _sent ? _connection.ReceivedAt(_requestId) : 0;
        _sent = false;
        if (received > 0)
        {
            _request.Complete(outcome, received);
        }
        else
        {
            _request.Complete(outcome);
        }
    }
}

/// <summary>
/// One pooled echo request's callback: the client tells it how the call ended, on its receive loop (or, for a failed
/// send, on the sending thread), with the call's request id, so the receive timestamp needs no mark on the send.
/// </summary>
internal sealed class R2P2EchoCall(LoadRequest request, R2P2Connection connection, int expectedLength) : IR2P2CallCallback
{
    public LoadRequest Request => request;

    public void OnCallCompleted(in R2P2CallCompletion completion)
    {
        var outcome = completion.Status switch
        {
            R2P2CallStatus.Completed => completion.Payload.Length == expectedLength ? LoadOutcome.Ok : LoadOutcome.WrongResponse,
            R2P2CallStatus.TimedOut or R2P2CallStatus.ReceiveLoopBlocked => LoadOutcome.Timeout,
            R2P2CallStatus.Dropped => LoadOutcome.Dropped,
            R2P2CallStatus.MalformedResponse => LoadOutcome.WrongResponse,
            _ => LoadOutcome.Failed,
        };
        var received = outcome == LoadOutcome.Ok ? connection.ReceivedAt(completion.RequestId) : 0;
        if (received > 0)
        {
            request.Complete(outcome, received);
        }
        else
        {
            request.Complete(outcome);
        }
    }

    public void Fail() => request.Complete(LoadOutcome.Failed);
}
