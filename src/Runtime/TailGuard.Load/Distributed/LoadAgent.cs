using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Reporting;

namespace TailGuard.Load.Distributed;

/// <summary>
/// A load agent (Lancet's split): listens for a coordinator, opens the connections it names to the target, runs the
/// points it asks for with a local <see cref="LoadGenerator"/> and sends back each point's result with its histograms.
/// One coordinator at a time; the agent keeps listening after each session until stopped. An agent sends load
/// wherever its coordinator says: listen only on a network you trust.
/// </summary>
public sealed class LoadAgent : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<string, LoadTarget> _resolveTarget;
    private int _started;

    /// <summary>Creates an agent (not yet listening).</summary>
    /// <param name="listen">The address and port to listen on (port 0 picks one).</param>
    /// <param name="resolveTarget">Turns a coordinator's target description (such as <c>r2p2://10.0.0.2:9000</c>) into a target.</param>
    public LoadAgent(IPEndPoint listen, Func<string, LoadTarget> resolveTarget)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(resolveTarget);
        _listener = new TcpListener(listen);
        _resolveTarget = resolveTarget;
    }

    /// <summary>Told what the agent does (a coordinator connected, a point ran), one line at a time.</summary>
    public event Action<string>? Log;

    /// <summary>The address the agent listens on (after <see cref="Start"/>).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Binds the listening socket.</summary>
    /// <exception cref="SocketException">The address is in use or not local.</exception>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _listener.Start();
        }
    }

    /// <summary>Serves coordinators, one at a time, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops the agent.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Start();
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using (client)
            {
                client.NoDelay = true;
                var peer = client.Client.RemoteEndPoint?.ToString() ?? "?";
                Log?.Invoke($"coordinator {peer} connected");
                try
                {
                    await ServeAsync(new AgentChannel(client.GetStream()), cancellationToken).ConfigureAwait(false);
                    Log?.Invoke($"coordinator {peer} done");
                }
                catch (Exception error) when (error is IOException or InvalidDataException or SocketException)
                {
                    Log?.Invoke($"coordinator {peer}: {error.Message}");
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Stop();

    private async Task ServeAsync(AgentChannel channel, CancellationToken cancellationToken)
    {
        await using var _ = channel.ConfigureAwait(false);
        LoadGenerator? generator = null;
        LoadTarget? target = null;
        try
        {
            var hello = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (hello is null || hello.Type != "hello" || hello.Version != AgentMessage.ProtocolVersion)
            {
                await channel.SendAsync(Error($"expected hello with protocol version {AgentMessage.ProtocolVersion}"), cancellationToken).ConfigureAwait(false);
                return;
            }

            await channel.SendAsync(new AgentMessage { Type = "hello", Version = AgentMessage.ProtocolVersion, Name = Environment.MachineName }, cancellationToken).ConfigureAwait(false);
            while (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                switch (message.Type)
                {
                    case "configure":
                        if (generator is not null)
                        {
                            await generator.DisposeAsync().ConfigureAwait(false);
                            generator = null;
                        }

                        if (target is not null)
                        {
                            await target.DisposeAsync().ConfigureAwait(false);
                        }

                        try
                        {
                            target = _resolveTarget(message.Target ?? throw new InvalidDataException("configure without a target"));
                            var options = (message.Settings ?? throw new InvalidDataException("configure without settings")).ToOptions();
                            generator = await LoadGenerator.ConnectAsync(target, options, cancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception error) when (error is not OperationCanceledException)
                        {
                            await channel.SendAsync(Error($"cannot load {message.Target}: {error.Message}"), cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        Log?.Invoke($"connected to {target.Name}");
                        await channel.SendAsync(new AgentMessage { Type = "ready", Timestamps = generator.ReceiveTimestamps.ToString() }, cancellationToken).ConfigureAwait(false);
                        break;

                    case "run" when generator is not null:
                        await RunPointAsync(channel, generator, message, cancellationToken).ConfigureAwait(false);
                        break;

                    case "run":
                        await channel.SendAsync(Error("run before configure"), cancellationToken).ConfigureAwait(false);
                        break;

                    case "bye":
                        return;

                    default:
                        await channel.SendAsync(Error($"unknown message '{message.Type}'"), cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
        finally
        {
            if (generator is not null)
            {
                await generator.DisposeAsync().ConfigureAwait(false);
            }

            if (target is not null)
            {
                await target.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunPointAsync(AgentChannel channel, LoadGenerator generator, AgentMessage message, CancellationToken cancellationToken)
    {
        LoadPointResult point;
        try
        {
            point = message.Mode == "closed"
                ? await generator.RunClosedLoopAsync(message.Depth ?? 16, TimeSpan.FromSeconds(message.DurationSeconds ?? 2), null, cancellationToken).ConfigureAwait(false)
                : await generator.RunOpenLoopAsync(message.Rate ?? 0, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException error)
        {
            await channel.SendAsync(Error(error.Message), cancellationToken).ConfigureAwait(false);
            return;
        }

        Log?.Invoke($"{(point.Mode == LoadMode.OpenLoop ? LoadReport.ShortRate(point.TargetRate) + " requests/s" : "closed loop")}: sent {point.Sent}, ok {point.Ok}, {(point.Passed ? "checks passed" : "checks FAILED")}");
        await channel.SendAsync(new AgentMessage { Type = "result", Point = PointDocument.From(point) }, cancellationToken).ConfigureAwait(false);
    }

    private static AgentMessage Error(string text) => new() { Type = "error", Message = text };
}
