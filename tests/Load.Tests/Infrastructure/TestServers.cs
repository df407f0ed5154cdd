using System;
using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Threading;
using TailGuard.R2P2;

namespace TailGuard.Load.Tests.Infrastructure;

/// <summary>In-process R2P2 servers on UDP loopback, port 0, with handlers of known behaviour.</summary>
internal static class TestServers
{
    public static R2P2Server Start(IR2P2Handler handler)
        => R2P2Server.CreateUdp(new IPEndPoint(IPAddress.Loopback, 0), handler);

    public static IPEndPoint EndPoint(this R2P2Server server) => server.LocalAddress.ToEndPoint();
}

/// <summary>Answers with the request's own payload.</summary>
internal sealed class EchoHandler : IR2P2Handler
{
    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        foreach (var segment in request.Payload)
        {
            response.Write(segment.Span);
        }
    }
}

/// <summary>
/// An echo that takes a known time per request: a precise timed wait (sleep most of it, spin the last stretch), so
/// the service time is exact to microseconds rather than to the scheduler's millisecond.
/// </summary>
internal sealed class FixedServiceTimeHandler(TimeSpan serviceTime) : IR2P2Handler
{
    private readonly EchoHandler _echo = new();

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        var until = Stopwatch.GetTimestamp() + (long)(serviceTime.TotalSeconds * Stopwatch.Frequency);
        while (until - Stopwatch.GetTimestamp() > Stopwatch.Frequency * 12 / 10_000) // sleep while 1.2 ms or more remain
        {
            Thread.Sleep(1);
        }

        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(16);
        }

        _echo.Handle(request, response);
    }
}

/// <summary>An echo that stops for <paramref name="pause"/> once, on the first request after <see cref="Arm"/>.</summary>
internal sealed class PauseOnceHandler(TimeSpan pause) : IR2P2Handler
{
    private readonly EchoHandler _echo = new();
    private long _pauseAfter = long.MaxValue;
    private int _paused;

    public int Pauses => Volatile.Read(ref _paused);

    /// <summary>The first request that arrives after <paramref name="delay"/> from now pauses the server.</summary>
    public void Arm(TimeSpan delay)
    {
        Volatile.Write(ref _paused, 0);
        Volatile.Write(ref _pauseAfter, Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));
    }

    public void Handle(in R2P2Request request, IBufferWriter<byte> response)
    {
        if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _pauseAfter) && Interlocked.Exchange(ref _paused, 1) == 0)
        {
            Volatile.Write(ref _pauseAfter, long.MaxValue);
            Thread.Sleep(pause);
        }

        _echo.Handle(request, response);
    }
}
