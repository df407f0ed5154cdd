using System;
using System.Diagnostics;
using System.Threading;
using TailGuard.R2P2.Protocol;

namespace TailGuard.R2P2;

/// <summary>
/// The server role on one receive loop: the loop's datagrams go through the <see cref="ServerProtocol"/>; ACKs and
/// DROPs are queued on the loop; each whole request runs to completion on the loop thread (handler, then response and
/// FEEDBACK queued with the batch), unless its handler defers it to the <see cref="DeferredResponses"/> table.
/// </summary>
internal sealed class ServerLoop : IReceiveLoopHandler, IResponseDeferrer, IDisposable
{
    private readonly R2P2Server _server;
    private readonly IR2P2Handler _handler;
    private readonly R2P2ServerStatistics _statistics;
    private readonly IR2P2AdmissionPolicy? _admission;
    private readonly PacketAddress? _router;
    private readonly ServerProtocol _protocol;
    private readonly MessageWriter _writer;
    private readonly DeferredResponses _deferred;
    private readonly ReceiveLoop _loop;
    private PacketBuffer[] _responsePackets = new PacketBuffer[4];
    private int _serveToken;
    private bool _serving;
    private bool _deferredNow;
    private ushort _servingRequestId;
    private PacketAddress _servingClient;
    private volatile int _pendingReassemblies;
    private long _pendingReassemblyBytes;
    private long _peakReassemblyBytes;

    public ServerLoop(R2P2Server server, PacketTransport transport, IR2P2Handler handler, R2P2ServerOptions options, R2P2ServerStatistics statistics)
    {
        _server = server;
        _handler = handler;
        _statistics = statistics;
        _admission = options.AdmissionPolicy;
        _router = options.RouterAddress;
        _protocol = new ServerProtocol(options);
        _writer = new MessageWriter(transport, options.PayloadSize, Fragmenter.MaxMessageLength(MessageType.Response, options.PayloadSize));
        _deferred = new DeferredResponses(transport, options, statistics);
        _loop = new ReceiveLoop(transport, this, new ReceiveLoopOptions
        {
            Mode = options.ReceiveMode,
            SpinBudget = options.SpinBudget,
            BatchSize = options.ReceiveBatchSize,
            BufferSize = R2P2Header.Size + options.PayloadSize,
            ThreadName = $"R2P2 server {transport.LocalAddress}",
        });
    }

    public PacketTransport Transport => _loop.Transport;

    public long AllocatedBytes => _loop.AllocatedBytes;

    public long Iterations => _loop.Iterations;

    public int PendingReassemblies => _pendingReassemblies;

    public long PendingReassemblyBytes => Interlocked.Read(ref _pendingReassemblyBytes);

    public long PeakReassemblyBytes => Interlocked.Read(ref _peakReassemblyBytes);

    public int PendingResponses => _deferred.Pending;

    public void Start() => _loop.Start();

    public void Stop() => _loop.Stop();

    public void Dispose() => _loop.Dispose();

    public bool OnPacket(ReceiveLoop loop, PacketBuffer packet)
    {
        var step = _protocol.Receive(packet, Stopwatch.GetTimestamp());
        _statistics.Evictions(step.Discarded);
        switch (step.Kind)
        {
            case ServerEventKind.Rejected:
                if (step.Rejection != RequestRejection.NoRoom)
                {
                    _statistics.Malformed(); // NoRoom is an eviction (counted above), not bad input
                }

                break;
            case ServerEventKind.Refused:
                SendControl(MessageType.Drop, step.RequestId, step.Client);
                _statistics.Drop();
                break;
            case ServerEventKind.Acknowledge:
                SendControl(MessageType.Ack, step.RequestId, step.Client);
                _statistics.Ack();
                break;
            case ServerEventKind.Deliver:
                Serve(step);
                _protocol.EndDelivery();
                break;
        }

        return step.KeepsPacket;
    }

    public long OnTick(ReceiveLoop loop, long now)
    {
        _statistics.Evictions(_protocol.Expire(now));
        _deferred.Expire(now);
        Publish();
        return _deferred.EarliestDeadline;
    }

    public void OnError(ReceiveLoop loop, Exception error)
    {
        _statistics.Malformed();
        _server.ReportReceiveLoopError(error);
    }

    public void OnStopping(ReceiveLoop loop)
    {
        _protocol.Clear();
        _deferred.Close();
        Publish();
    }

    public R2P2ResponseHandle Defer(int token)
    {
        if (!_serving || token != _serveToken || !_loop.IsLoopThread)
        {
            throw new InvalidOperationException("R2P2Request.Defer is valid only inside the handler, on the thread running it.");
        }

        if (_deferredNow)
        {
            throw new InvalidOperationException("The request was already deferred; answer it through the handle Defer returned.");
        }

        var handle = _deferred.Add(_servingRequestId, _servingClient, Stopwatch.GetTimestamp());
        _deferredNow = true;
        _statistics.Deferral();
        return handle;
    }

    /// <summary>Runs the handler and queues the response (and FEEDBACK), unless the handler deferred it.</summary>
    private void Serve(in ServerEvent step)
    {
        _statistics.Request();
        _writer.Start();
        _serving = true;
        _deferredNow = false;
        _servingRequestId = step.RequestId;
        _servingClient = step.Client;
        var request = new R2P2Request(step.Payload, step.RequestId, step.Policy, step.Client, this, unchecked(++_serveToken));
        try
        {
            _handler.Handle(in request, _writer);
            _serving = false;
            if (_deferredNow)
            {
                _writer.Reset(); // the handle answers later; what the handler wrote is not the response
                return;
            }

            var count = ResponseMessage.Build(_writer, _loop.Transport, step.RequestId, step.Client, _router, ref _responsePackets, out var feedback);
            for (var i = 0; i < count; i++)
            {
                _loop.Send(_responsePackets[i]);
                _responsePackets[i] = null!;
            }

            _statistics.Response();
            if (feedback)
            {
                _statistics.Feedback();
            }

            _admission?.Release(step.RequestId, step.Client);
        }
#pragma warning disable CA1031 // A failing handler must not stop the loop that serves every other client.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _serving = false;
            _writer.Reset();
            if (!_deferredNow)
            {
                _admission?.Release(step.RequestId, step.Client); // a deferred request stays with its handle
            }

            _statistics.HandlerFailure();
            _server.ReportHandlerFailure(error);
        }
    }

    private void SendControl(MessageType type, ushort requestId, PacketAddress destination)
    {
        var buffer = _loop.Transport.Rent(ControlMessages.DropLength);
        buffer.Length = type == MessageType.Ack
            ? ControlMessages.WriteAck(buffer.Storage, requestId)
            : ControlMessages.WriteDrop(buffer.Storage, requestId);
        buffer.Address = destination;
        _loop.Send(buffer);
    }

    private void Publish()
    {
        _pendingReassemblies = _protocol.PendingReassemblies;
        Interlocked.Exchange(ref _pendingReassemblyBytes, _protocol.PendingReassemblyBytes);
        if (_protocol.PeakReassemblyBytes > _peakReassemblyBytes)
        {
            Interlocked.Exchange(ref _peakReassemblyBytes, _protocol.PeakReassemblyBytes);
        }
    }
}
