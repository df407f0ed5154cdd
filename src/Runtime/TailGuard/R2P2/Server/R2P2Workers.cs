using System;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.R2P2;

/// <summary>
/// The server model of the R2P2 paper's experiments: k single-request workers, each with its own UDP socket on its own
/// port and its own receive loop, so a router sees k queues and gives each its own JBSQ credits (the FEEDBACK of a
/// worker leaves from its port). A worker serves one request at a time, to completion; the requests a router sends it
/// meanwhile wait in its socket: a worker reads one datagram at a time (whatever
/// <see cref="R2P2ServerOptions.ReceiveBatchSize"/> says), so each response and its FEEDBACK leave as soon as that
/// request is done, not after the next ones a batch would have taken. Worker i listens on the first port + i. Compare
/// <see cref="R2P2Server.CreateUdp"/> with several receive loops: those share one port (SO_REUSEPORT), so a router sees
/// one server. See docs/router.md, "Servers with k workers".
/// </summary>
public static class R2P2Workers
{
    private const int Attempts = 64;

    /// <summary>Binds <paramref name="workers"/> sockets on consecutive ports and serves each with one worker.</summary>
    /// <param name="firstWorker">The IPv4 or IPv6 address (a specific one: a router recognises a worker by the source of its FEEDBACK) and the first port; port 0 picks a free run of consecutive ports.</param>
    /// <param name="workers">k, from 1 to 1024.</param>
    /// <param name="handler">Handles each request; called concurrently from every worker, one request at a time per worker.</param>
    /// <param name="options">Server settings (<see cref="R2P2ServerOptions.RouterAddress"/> for FEEDBACK); defaults when null.</param>
    /// <param name="transportOptions">Socket settings; defaults when null.</param>
    /// <returns>The server; <see cref="R2P2Server.LocalAddresses"/> lists the workers in port order.</returns>
    /// <exception cref="SocketException">A port of the run is taken (the message names it), or no free run was found.</exception>
    public static R2P2Server CreateUdp(IPEndPoint firstWorker, int workers, IR2P2Handler handler, R2P2ServerOptions? options = null, UdpTransportOptions? transportOptions = null)
    {
        ArgumentNullException.ThrowIfNull(firstWorker);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 1024);
        if (firstWorker.Port + workers - 1 > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(workers), $"{workers} workers from port {firstWorker.Port} run past port {IPEndPoint.MaxPort}.");
        }

        var transports = firstWorker.Port != 0 ? BindRun(firstWorker, workers, transportOptions) : BindFreeRun(firstWorker, workers, transportOptions);
        try
        {
            // One datagram per receive: a batch's responses leave after the whole batch, so a request that found
            // another queued behind it would wait for that one's service time too, and so would its credit at a router.
            return new R2P2Server(transports, handler, (options ?? new R2P2ServerOptions()).WithReceiveBatchSize(1));
        }
        catch
        {
            foreach (var transport in transports)
            {
                transport.Dispose();
            }

            throw;
        }
    }

    private static UdpTransport[] BindRun(IPEndPoint first, int count, UdpTransportOptions? options)
    {
        var run = new UdpTransport[count];
        var bound = 0;
        try
        {
            for (; bound < count; bound++)
            {
                run[bound] = UdpTransport.Bind(new IPEndPoint(first.Address, first.Port + bound), options);
            }

            return run;
        }
        catch (SocketException error) when (bound > 0)
        {
            Release(run, bound);
            throw new SocketException((int)error.SocketErrorCode, $"Worker {bound + 1} of {count} cannot listen on {new IPEndPoint(first.Address, first.Port + bound)}: {error.Message}");
        }
        catch
        {
            Release(run, bound);
            throw;
        }
    }

    /// <summary>An ephemeral port for the first worker, then the ports after it; another run when one is taken.</summary>
    private static UdpTransport[] BindFreeRun(IPEndPoint first, int count, UdpTransportOptions? options)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var head = UdpTransport.Bind(first, options);
            var port = head.LocalAddress.Port;
            if (port + count - 1 > IPEndPoint.MaxPort)
            {
                head.Dispose();
                continue;
            }

            var run = new UdpTransport[count];
            run[0] = head;
            var bound = 1;
            try
            {
                for (; bound < count; bound++)
                {
                    run[bound] = UdpTransport.Bind(new IPEndPoint(first.Address, port + bound), options);
                }

                return run;
            }
            catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                Release(run, bound);
            }
        }

        throw new SocketException((int)SocketError.AddressAlreadyInUse, $"No run of {count} free consecutive UDP ports found on {first.Address} after {Attempts} attempts.");
    }

    private static void Release(UdpTransport[] run, int bound)
    {
        for (var i = 0; i < bound; i++)
        {
            run[i].Dispose();
        }
    }
}
