using System;
using System.Net;
using System.Threading.Tasks;
using TailGuard.R2P2;

namespace TailGuard.Load.R2P2;

/// <summary>
/// The one place the load generator meets the R2P2 client's call API (today's <see cref="R2P2Client.CallAsync(ReadOnlyMemory{byte}, RoutingPolicy, System.Threading.CancellationToken)"/>
/// returning a <see cref="ValueTask{TResult}"/>): one client per connection over a timestamping transport, and a pooled
/// call per request whose cached continuation turns the result into an outcome. When the client gains a callback
/// form of a call and a non-throwing TryCall, only this file changes.
/// </summary>
internal sealed class R2P2Connection : IAsyncDisposable, IDisposable
{
    private readonly TimestampingTransport _transport;

    private R2P2Connection(R2P2Client client, TimestampingTransport transport)
    {
        Client = client;
        _transport = transport;
    }

    public R2P2Client Client { get; }

    public TimestampSource ReceiveTimestamps => _transport.Source;

    public static R2P2Connection Open(IPEndPoint server, LoadConnectionSettings settings, R2P2TargetOptions options)
    {
        var local = new IPEndPoint(IPAddress.IsLoopback(server.Address) ? IPAddress.Loopback : IPAddress.Any, 0);
        TimestampingTransport? transport = settings.MeasuresLatency && options.KernelTimestamps
            ? KernelTimestampingUdpTransport.TryBind(local, options.Transport)
            : null;
        transport ??= new ClockTimestampingTransport(UdpTransport.Bind(local, options.Transport));
        try
        {
            return new R2P2Connection(new R2P2Client(transport, PacketAddress.FromEndPoint(server), options.ClientOptions(settings)), transport);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

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
