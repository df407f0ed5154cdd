using System;
using System.Buffers;
using System.Diagnostics;
using System.Threading;

namespace TailGuard.R2P2;

/// <summary>
/// One receive loop of a server: owns one transport, its reassembler and its send buffers, and runs each complete
/// request to completion on its thread (receive, handle, respond). Responses, ACKs, DROPs and FEEDBACKs are batched and
/// sent after each receive batch.
/// </summary>
internal sealed class ServerReceiveLoop
{
    private readonly R2P2Server _server;
    private readonly PacketTransport _transport;
    private readonly R2P2ServerOptions _options;
    private readonly IR2P2Handler _handler;
    private readonly IR2P2AdmissionPolicy? _admission;
    private readonly R2P2ServerStatistics _statistics;
    private readonly PacketBufferPool _pool;
    private readonly Reassembler _reassembler;
    private readonly MessageWriter _writer;
    private readonly PacketBuffer[] _outgoing;
    private readonly int _servedPolicies;
    private readonly int _maxRequestPackets;
    private readonly Thread _thread;
    private PacketBuffer[] _responsePackets = new PacketBuffer[4];
    private int _outgoingCount;
    private long _allocatedBytes;
    private long _iterations;
    private volatile int _pendingReassemblies;
    private long _pendingReassemblyBytes;
    private long _peakReassemblyBytes;
    private volatile bool _stopping;

    public ServerReceiveLoop(R2P2Server server, PacketTransport transport, IR2P2Handler handler, R2P2ServerOptions options, R2P2ServerStatistics statistics)
    {
        _server = server;
        _transport = transport;
        _handler = handler;
        _options = options;
        _admission = options.AdmissionPolicy;
        _statistics = statistics;
        _pool = new PacketBufferPool(R2P2Header.Size + options.PayloadSize);
        _reassembler = new Reassembler(options.MaxPendingReassemblies, options.MaxReassemblyBytes, (long)(options.ReassemblyTimeout.TotalSeconds * Stopwatch.Frequency))
        {
            Discarding = OnDiscarding,
        };
        _writer = new MessageWriter(_pool, options.PayloadSize, Fragmenter.MaxMessageLength(MessageType.Response, options.PayloadSize));
        _outgoing = new PacketBuffer[Math.Max(options.ReceiveBatchSize * 2, 16)];
        foreach (var policy in options.ServedPolicies)
        {
            _servedPolicies |= 1 << (int)policy;
        }

        _maxRequestPackets = Fragmenter.PacketCount(MessageType.Request, options.MaxRequestBytes, options.PayloadSize);
        _thread = new Thread(Run)
        {
            IsBackground = true,
            Name = $"R2P2 server {transport.LocalAddress}",
        };
    }

    public PacketTransport Transport => _transport;

    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    public long Iterations => Interlocked.Read(ref _iterations);

    public int PendingReassemblies => _pendingReassemblies;

    public long PendingReassemblyBytes => Interlocked.Read(ref _pendingReassemblyBytes);

    public long PeakReassemblyBytes => Interlocked.Read(ref _peakReassemblyBytes);

    public void Start() => _thread.Start();

    public void Stop()
    {
        _stopping = true;
        if (Thread.CurrentThread != _thread && _thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        var buffers = new PacketBuffer[_options.ReceiveBatchSize];
        for (var i = 0; i < buffers.Length; i++)
        {
            buffers[i] = _pool.Rent();
        }

        var timeout = _options.ReceiveMode == ReceiveMode.BusyPoll ? 0 : 50;
        try
        {
            while (!_stopping)
            {
                var received = _transport.Receive(buffers, timeout);
                for (var i = 0; i < received; i++)
                {
                    if (ProcessGuarded(buffers[i]))
                    {
                        buffers[i] = _pool.Rent();
                    }
                }

                Flush();
                if (_reassembler.Count > 0)
                {
                    _reassembler.Expire(Stopwatch.GetTimestamp());
                }

                _pendingReassemblies = _reassembler.Count;
                Interlocked.Exchange(ref _pendingReassemblyBytes, _reassembler.Bytes);
                if (_reassembler.PeakBytes > _peakReassemblyBytes)
                {
                    Interlocked.Exchange(ref _peakReassemblyBytes, _reassembler.PeakBytes);
                }

                Interlocked.Exchange(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref _iterations);
            }
        }
        catch (ObjectDisposedException) when (_stopping)
        {
            // The transport closed while stopping.
        }

        _reassembler.Clear();
        _pendingReassemblies = 0;
        foreach (var buffer in buffers)
        {
            buffer.Return();
        }
    }

    /// <summary>
    /// A defect in processing one datagram must not kill the loop (an unhandled exception on this thread would end the
    /// process): it is counted as a malformed datagram and reported, and the loop goes on.
    /// </summary>
    private bool ProcessGuarded(PacketBuffer packet)
    {
        try
        {
            return Process(packet);
        }
#pragma warning disable CA1031 // Deliberately broad: see the summary.
        catch (Exception error) when (error is not ObjectDisposedException)
#pragma warning restore CA1031
        {
            _statistics.Malformed();
            _server.ReportReceiveLoopError(error);
            return false;
        }
    }

    /// <summary>Handles one datagram; true when the buffer was kept (a pending reassembly holds it).</summary>
    private bool Process(PacketBuffer packet)
    {
        if (R2P2Header.TryRead(packet.Span, out var header) != HeaderStatus.Valid
            || header.Type != MessageType.Request
            || (_servedPolicies & (1 << (int)header.Policy)) == 0)
        {
            // Bad header, a type a server does not take, or a policy it does not serve: dropped and counted.
            _statistics.Malformed();
            return false;
        }

        var source = packet.Address;
        if (header.IsSinglePacket)
        {
            if (!Admit(header.RequestId, source))
            {
                return false;
            }

            var payload = new ReadOnlySequence<byte>(packet.Array, R2P2Header.Size, packet.Length - R2P2Header.Size);
            Serve(new R2P2Request(payload, header.RequestId, header.Policy), source);
            return false;
        }

        var key = new ReassemblyKey(source, header.RequestId);
        if (header.IsFirst)
        {
            if (header.PacketOrder > _maxRequestPackets || _reassembler.Contains(key))
            {
                // Too large to accept, or a duplicate FIRST (a second ACK would abort the reference client).
                _statistics.Malformed();
                return false;
            }

            if (!Admit(header.RequestId, source))
            {
                return false;
            }

            if (!_reassembler.Begin(key, header.PacketOrder, header.Policy, packet, Stopwatch.GetTimestamp()))
            {
                return false;
            }

            var ack = Outgoing(source);
            ack.Length = ControlMessages.WriteAck(ack.Array, header.RequestId);
            _statistics.Ack();
            return true;
        }

        switch (_reassembler.Add(key, header.PacketOrder, header.IsLast, packet, out var request))
        {
            case ReassemblyResult.Stored:
                return true;
            case ReassemblyResult.Complete:
                var contiguous = Reassembler.Assemble(request!, out var length);
                var policy = request!.Policy;
                _reassembler.Remove(request);
                try
                {
                    Serve(new R2P2Request(new ReadOnlySequence<byte>(contiguous, 0, length), header.RequestId, policy), source);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(contiguous);
                }

                return true;
            case ReassemblyResult.Orphan:
                _statistics.Malformed();
                return false;
            default:
                // Discarded: the reassembler reported it through OnDiscarding; this packet is dropped too.
                _statistics.Malformed();
                return false;
        }
    }

    private bool Admit(ushort requestId, PacketAddress source)
    {
        if (_admission is null || _admission.TryAdmit(requestId, source))
        {
            return true;
        }

        var drop = Outgoing(source);
        drop.Length = ControlMessages.WriteDrop(drop.Array, requestId);
        _statistics.Drop();
        return false;
    }

    /// <summary>Runs the handler and queues the response (and FEEDBACK). The admission taken on FIRST is released here.</summary>
    private void Serve(in R2P2Request request, PacketAddress source)
    {
        _statistics.Request();
        _writer.Start();
        try
        {
            _handler.Handle(in request, _writer);
            var count = _writer.Build(MessageType.Response, RoutingPolicy.Fixed, request.RequestId, source, ref _responsePackets);
            for (var i = 0; i < count; i++)
            {
                Queue(_responsePackets[i]);
                _responsePackets[i] = null!;
            }

            _statistics.Response();
            if (_options.RouterAddress is { } router)
            {
                var feedback = Outgoing(router);
                feedback.Length = ControlMessages.WriteFeedback(feedback.Array, request.RequestId, source);
                _statistics.Feedback();
            }
        }
#pragma warning disable CA1031 // A failing handler must not stop the loop that serves every other client.
        catch (Exception error)
#pragma warning restore CA1031
        {
            _writer.Reset();
            _statistics.HandlerFailure();
            _server.ReportHandlerFailure(error);
        }
        finally
        {
            _admission?.Release();
        }
    }

    private void OnDiscarding(PendingRequest request)
    {
        _statistics.Eviction();
        _admission?.Release();
    }

    private PacketBuffer Outgoing(PacketAddress destination)
    {
        var buffer = _pool.Rent();
        buffer.Address = destination;
        Queue(buffer);
        return buffer;
    }

    private void Queue(PacketBuffer buffer)
    {
        if (_outgoingCount == _outgoing.Length)
        {
            Flush();
        }

        _outgoing[_outgoingCount++] = buffer;
    }

    private void Flush()
    {
        if (_outgoingCount == 0)
        {
            return;
        }

        try
        {
            _transport.Send(_outgoing.AsSpan(0, _outgoingCount));
        }
        finally
        {
            for (var i = 0; i < _outgoingCount; i++)
            {
                _outgoing[i].Return();
                _outgoing[i] = null!;
            }

            _outgoingCount = 0;
        }
    }
}
