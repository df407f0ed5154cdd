using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace TailGuard.Load.Distributed;

/// <summary>A load agent could not be reached, refused a request, or broke off.</summary>
public sealed class LoadAgentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LoadAgentException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the agent.</param>
    public LoadAgentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong, naming the agent.</param>
    /// <param name="innerException">The cause.</param>
    public LoadAgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Drives load agents on several machines as one generator: configures them all with the same target and settings,
/// starts each point on all of them at once (each agent sends its share of the rate), and merges what they measured:
/// the counts add up, the histograms merge, and the percentiles and their intervals are computed over every sample.
/// </summary>
public sealed class LoadCoordinator : ILoadPointRunner, IAsyncDisposable
{
    private readonly (IPEndPoint EndPoint, TcpClient Client, AgentChannel Channel)[] _agents;
    private readonly LoadGeneratorOptions _options;
    private int _disposed;

    private LoadCoordinator(string target, LoadGeneratorOptions options, (IPEndPoint, TcpClient, AgentChannel)[] agents, TimestampSource timestamps)
    {
        TargetName = target;
        _options = options;
        _agents = agents;
        ReceiveTimestamps = timestamps;
    }

    /// <inheritdoc/>
    public string TargetName { get; }

    /// <summary>How many agents take part.</summary>
    public int AgentCount => _agents.Length;

    /// <summary>The agents' receive timestamps (the monotonic clock when they differ).</summary>
    public TimestampSource ReceiveTimestamps { get; }

    /// <summary>Connects to every agent and has each open its connections to the target.</summary>
    /// <param name="agents">The agents' addresses.</param>
    /// <param name="target">The target as the agents resolve it (such as <c>r2p2://10.0.0.2:9000</c>).</param>
    /// <param name="options">Settings every agent runs with (per agent: connections, threads, in-flight limit); the precision target is not supported.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The coordinator, ready to run points.</returns>
    /// <exception cref="LoadAgentException">An agent is unreachable or cannot reach the target.</exception>
    public static async Task<LoadCoordinator> ConnectAsync(IReadOnlyList<IPEndPoint> agents, string target, LoadGeneratorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agents);
        ArgumentException.ThrowIfNullOrEmpty(target);
        ArgumentNullException.ThrowIfNull(options);
        if (agents.Count == 0)
        {
            throw new ArgumentException("At least one agent is needed.", nameof(agents));
        }

        if (options.Precision is not null)
        {
            throw new ArgumentException("A precision target applies to local runs only: give agents a fixed duration.", nameof(options));
        }

        options.Validate();
        var connected = new List<(IPEndPoint, TcpClient, AgentChannel)>();
        try
        {
            var timestamps = new List<TimestampSource>();
            for (var i = 0; i < agents.Count; i++)
            {
                var endPoint = agents[i];
                var client = new TcpClient(endPoint.AddressFamily) { NoDelay = true };
                try
                {
                    using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await client.ConnectAsync(endPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception error) when (error is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    client.Dispose();
                    throw new LoadAgentException($"cannot reach the load agent at {endPoint}: {Reason(error)}", error);
                }

                var channel = new AgentChannel(client.GetStream());
                connected.Add((endPoint, client, channel));
                await channel.SendAsync(new AgentMessage { Type = "hello", Version = AgentMessage.ProtocolVersion }, cancellationToken).ConfigureAwait(false);
                await Expect(endPoint, channel, "hello", TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                await channel.SendAsync(new AgentMessage { Type = "configure", Target = target, Settings = AgentSettings.From(options, i) }, cancellationToken).ConfigureAwait(false);
                var ready = await Expect(endPoint, channel, "ready", TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                timestamps.Add(Enum.TryParse<TimestampSource>(ready.Timestamps, out var source) ? source : TimestampSource.MonotonicClock);
            }

            var common = timestamps.All(t => t == timestamps[0]) ? timestamps[0] : TimestampSource.MonotonicClock;
            return new LoadCoordinator(target, options, connected.ToArray(), common);
        }
        catch
        {
            foreach (var (_, client, channel) in connected)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                client.Dispose();
            }

            throw;
        }
    }

    /// <summary>Runs one open-loop point on every agent at once, each at its share of <paramref name="rate"/>, and merges them.</summary>
    /// <param name="rate">The total offered rate.</param>
    /// <param name="progress">Told that the point is running (agents do not stream progress).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The merged point.</returns>
    public async Task<LoadPointResult> RunOpenLoopAsync(double rate, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!(rate > 0 && double.IsFinite(rate)))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate must be a positive number of requests per second.");
        }

        progress?.Report(new LoadProgress(TargetName, $"measuring on {_agents.Length} agents", TimeSpan.Zero, rate, 0, 0, 0, null));
        var share = rate / _agents.Length;
        var parts = await RunOnAllAsync(new AgentMessage { Type = "run", Mode = "open", Rate = share }, _options.WarmUp + _options.Duration, cancellationToken).ConfigureAwait(false);
        return PointMerger.Merge(TargetName, rate, parts, _options);
    }

    /// <inheritdoc/>
    public async Task<double> MeasureCapacityAsync(TimeSpan duration, int depth = 16, IProgress<LoadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        progress?.Report(new LoadProgress(TargetName, $"capacity on {_agents.Length} agents", TimeSpan.Zero, 0, 0, 0, 0, null));
        var parts = await RunOnAllAsync(new AgentMessage { Type = "run", Mode = "closed", Depth = depth, DurationSeconds = duration.TotalSeconds }, _options.WarmUp + duration, cancellationToken).ConfigureAwait(false);
        return parts.Sum(p => p.Throughput);
    }

    /// <summary>Says goodbye to every agent and closes the connections.</summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var (_, client, channel) in _agents)
        {
            try
            {
                await channel.SendAsync(new AgentMessage { Type = "bye" }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The agent is gone already.
            }
            catch (ObjectDisposedException)
            {
            }

            await channel.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
        }
    }

    private async Task<LoadPointResult[]> RunOnAllAsync(AgentMessage run, TimeSpan expected, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // Every agent gets its start message before any answer is awaited: the points begin together.
        foreach (var (endPoint, _, channel) in _agents)
        {
            try
            {
                await channel.SendAsync(run, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException error)
            {
                throw new LoadAgentException($"the load agent at {endPoint} disconnected: {error.Message}", error);
            }
        }

        var patience = expected + _options.Timeout + TimeSpan.FromSeconds(30);
        var results = await Task.WhenAll(_agents.Select(a => Expect(a.EndPoint, a.Channel, "result", patience, cancellationToken))).ConfigureAwait(false);
        return results.Select(r => r.Point!.ToResult()).ToArray();
    }

    private static async Task<AgentMessage> Expect(IPEndPoint endPoint, AgentChannel channel, string type, TimeSpan patience, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(patience);
        AgentMessage? message;
        try
        {
            message = await channel.ReceiveAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LoadAgentException($"the load agent at {endPoint} did not answer within {patience.TotalSeconds:0} s");
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            throw new LoadAgentException($"the load agent at {endPoint} broke off: {error.Message}", error);
        }

        if (message is null)
        {
            throw new LoadAgentException($"the load agent at {endPoint} closed the connection");
        }

        if (message.Type == "error")
        {
            throw new LoadAgentException($"the load agent at {endPoint}: {message.Message}");
        }

        if (message.Type != type || (type == "result" && message.Point is null))
        {
            throw new LoadAgentException($"the load agent at {endPoint} sent '{message.Type}' where '{type}' was expected");
        }

        return message;
    }

    private static string Reason(Exception error) => error is SocketException socket ? socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused (is `tailguard load --agent` running there?)",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
        _ => socket.Message,
    } : "timed out";
}
