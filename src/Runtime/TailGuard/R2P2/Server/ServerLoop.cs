using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
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
    private readonly R2P2ServiceDescriptor? _service;
    private readonly R2P2ServerStatistics _statistics;
    private readonly AdmissionGate _admission;
    private readonly ResponseLimiter? _limiter;
    private readonly FailureReporter _failures;
    private readonly Security.ServerAuthenticator? _authenticator;
    private readonly Security.ServerAuthenticator.CipherCache? _ciphers;
    private readonly PacketAddress? _router;
    private readonly ServerProtocol _protocol;
    private readonly MessageWriter _writer;
    private readonly DeferredResponses _deferred;
    private readonly ReceiveLoop _loop;
    private readonly int _batchSize;
    private TaskCompletionSource<bool>? _drain;
    private int _stopped;
    private bool _refusedWholeBatch;
    private int _batchPackets;
    private PacketBuffer[] _responsePackets = new PacketBuffer[4];
    private int _serveToken;
    private bool _serving;
    private bool _deferredNow;
    private R2P2AdmissionRequest _servingAdmission;
    private R2P2Measurement _servingMeasurement;
    private bool _servingAcknowledged;
    private Security.R2P2Key? _servingKey;
    private ulong _servingNonce;
    private volatile int _pendingReassemblies;
    private long _pendingReassemblyBytes;
    private long _peakReassemblyBytes;

    public ServerLoop(R2P2Server server, PacketTransport transport, IR2P2Handler handler, R2P2ServiceDescriptor? service, R2P2ServerOptions options, R2P2ServerStatistics statistics, AdmissionGate admission, ResponseLimiter? limiter, FailureReporter failures, Security.ServerAuthenticator? authenticator)
    {
        _authenticator = authenticator;
        _ciphers = authenticator?.CreateCache();
        _server = server;
        _handler = handler;
        _service = service;
        _statistics = statistics;
        _admission = admission;
        _limiter = limiter;
        _failures = failures;
        _router = options.RouterAddress;
        _protocol = new ServerProtocol(options, admission, authenticator, _ciphers);
        _writer = ResponseWriter(transport, options);
        _deferred = new DeferredResponses(transport, options, statistics, admission, limiter, authenticator);
        _batchSize = options.ReceiveBatchSize;
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

    /// <summary>
    /// Starts refusing new requests (from the loop's next datagram on); the task completes true once the loop has gone
    /// through a whole batch refusing, found its socket read dry (a batch shorter than the batch size) and holds no
    /// admitted request (no reassembly, no unanswered deferred response), or false when the loop stopped first.
    /// </summary>
    public Task<bool> BeginDrain()
    {
        var drain = Volatile.Read(ref _drain);
        if (drain is null)
        {
            var created = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            drain = Interlocked.CompareExchange(ref _drain, created, null) ?? created;
        }

        if (Volatile.Read(ref _stopped) != 0)
        {
            drain.TrySetResult(false); // the loop is gone: it cannot drain, and must not leave the caller waiting
        }

        return drain.Task;
    }

    public bool OnPacket(ReceiveLoop loop, PacketBuffer packet)
    {
        _batchPackets++;
        if (Volatile.Read(ref _drain) is not null)
        {
            _protocol.Refusing = true;
        }

        var step = _protocol.Receive(packet, Stopwatch.GetTimestamp());
        _statistics.Evictions(step.Discarded);
        switch (step.Kind)
        {
            case ServerEventKind.Rejected:
                switch (step.Rejection)
                {
                    case RequestRejection.NoRoom:
                        break; // an eviction (counted above), not bad input
                    case RequestRejection.RefusedAfterAck:
                        _statistics.RefusalAfterAck();
                        break;
                    case RequestRejection.Unauthenticated:
                        _statistics.Unauthenticated();
                        break;
                    case RequestRejection.Replayed:
                        _statistics.Replayed();
                        break;
                    default:
                        _statistics.Malformed();
                        break;
                }

                break;
            case ServerEventKind.Refused:
                SendControl(MessageType.Drop, step);
                _statistics.Drop();
                break;
            case ServerEventKind.Acknowledge:
                SendControl(MessageType.Ack, step);
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
        if (Volatile.Read(ref _drain) is { } drain)
        {
            if (_refusedWholeBatch && _batchPackets < _batchSize && _protocol.PendingReassemblies == 0 && _deferred.Pending == 0)
            {
                drain.TrySetResult(true);
            }

            _protocol.Refusing = true;
            _refusedWholeBatch = true;
        }

        _batchPackets = 0;
        return _deferred.EarliestDeadline;
    }

    public void OnError(ReceiveLoop loop, Exception error)
    {
        _failures.Report(R2P2Failure.ReceiveLoop, error);
        _server.ReportReceiveLoopError(error);
    }

    public void OnStopping(ReceiveLoop loop)
    {
        _protocol.Clear();
        _deferred.Close();
        Publish();
        Interlocked.Exchange(ref _stopped, 1);
        Volatile.Read(ref _drain)?.TrySetResult(false);
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

        var handle = _deferred.Add(in _servingAdmission, _servingAcknowledged, _servingKey, _servingNonce, Stopwatch.GetTimestamp(), _servingMeasurement);
        _deferredNow = true;
        _statistics.Deferral();
        return handle;
    }

    /// <summary>
    /// Runs the handler and queues the response (and FEEDBACK), unless the handler deferred it. Whatever the handler or
    /// anything it makes the server call does, the request is released exactly once (now, or by its handle) and the loop
    /// goes on.
    /// </summary>
    private void Serve(in ServerEvent step)
    {
        _statistics.Request();
        var method = _service?.Classify(step.Payload);
        var measurement = R2P2Measurement.StartRequest(_statistics.Instruments, method, _service, step.Payload, step.Client, out var previousActivity);
        _writer.Start();
        _serving = true;
        _deferredNow = false;
        _servingAdmission = step.Admission;
        _servingAcknowledged = step.WasAcknowledged;
        _servingKey = step.Key;
        _servingNonce = step.CallNonce;
        _servingMeasurement = measurement;
        var request = new R2P2Request(step.Payload, step.RequestId, step.Policy, step.Client, this, unchecked(++_serveToken)) { KeyId = step.KeyId };
        try
        {
            _handler.Handle(in request, _writer);
        }
#pragma warning disable CA1031 // A failing handler must not stop the loop that serves every other client.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _serving = false;
            _writer.Reset();
            if (!_deferredNow)
            {
                _admission.Release(step.Admission); // a deferred request stays with its handle
                measurement.End(R2P2Outcome.HandlerFailed);
            }
            else
            {
                measurement.Detach(previousActivity); // the deferred slot ends it
            }

            _servingMeasurement = default;
            _failures.Report(R2P2Failure.Handler, error);
            _server.ReportHandlerFailure(error);
            return;
        }

        _serving = false;
        _servingMeasurement = default;
        if (_deferredNow)
        {
            _writer.Reset(); // the handle answers later; what the handler wrote is not the response
            measurement.Detach(previousActivity); // the deferred slot ends it
            return;
        }

        var status = _writer.FirstByte;
        if (_limiter is not null && !_limiter.TryTake(step.Client, _writer.Length, Fragmenter.PacketCount(MessageType.Response, _writer.Length, _writer.PayloadSize), step.WasAcknowledged, Stopwatch.GetTimestamp()))
        {
            _writer.Reset();
            _statistics.LimitedResponse();
            measurement.End(R2P2Outcome.Failed);
        }
        else
        {
            var seal = new ReplySeal(_authenticator, _ciphers, step.Key, step.CallNonce);
            var count = ResponseMessage.Build(_writer, _loop.Transport, step.RequestId, step.Client, _router, seal, ref _responsePackets, out var feedback);
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

            measurement.EndAnswered(status);
        }

        _admission.Release(step.Admission);
    }

    /// <summary>The writer of a loop's or a deferred slot's responses: packets keep room for the reply trailer in authenticated mode.</summary>
    internal static MessageWriter ResponseWriter(PacketTransport transport, R2P2ServerOptions options)
        => new(
            transport,
            options.ResponsePayloadSize,
            Fragmenter.MaxMessageLength(MessageType.Response, options.ResponsePayloadSize),
            options.AuthenticationKeys is null ? 0 : Security.AuthenticatedWire.ReplyTrailerLength);

    /// <summary>Queues the ACK or DROP for a request (sealed for its call in authenticated mode).</summary>
    private void SendControl(MessageType type, in ServerEvent step)
    {
        var seal = new ReplySeal(_authenticator, _ciphers, step.Key, step.CallNonce);
        var buffer = _loop.Transport.Rent(ControlMessages.DropLength + seal.TrailerLength);
        try
        {
            buffer.Length = type == MessageType.Ack
                ? ControlMessages.WriteAck(buffer.Storage, step.RequestId)
                : ControlMessages.WriteDrop(buffer.Storage, step.RequestId);
            buffer.Address = step.Client;
            seal.Apply(buffer);
        }
        catch
        {
            buffer.Return();
            throw;
        }

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
