using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TailGuard.Load.Reporting;

namespace TailGuard.Load.Distributed;

/// <summary>
/// One message between a coordinator and an agent: a JSON object on one line. The conversation: hello (both ways,
/// with the protocol version), configure (target and settings) → ready (or error), run (a point) → result (or error),
/// any number of times, then bye.
/// </summary>
internal sealed class AgentMessage
{
    public const int ProtocolVersion = 1;

    public string Type { get; set; } = "";

    public int? Version { get; set; }

    public string? Name { get; set; }

    public string? Target { get; set; }

    public AgentSettings? Settings { get; set; }

    public string? Mode { get; set; }

    public double? Rate { get; set; }

    public int? Depth { get; set; }

    public double? DurationSeconds { get; set; }

    public string? Timestamps { get; set; }

    public PointDocument? Point { get; set; }

    public string? Message { get; set; }
}

/// <summary>The <see cref="LoadGeneratorOptions"/> an agent runs with (the precision target stays with local runs).</summary>
internal sealed class AgentSettings
{
    public int Connections { get; set; }

    public int LatencyConnections { get; set; }

    public int SendingThreads { get; set; }

    public int MaxInFlight { get; set; }

    public double TimeoutSeconds { get; set; }

    public string Distribution { get; set; } = "";

    public double WarmUpSeconds { get; set; }

    public double DurationSeconds { get; set; }

    public List<double> Percentiles { get; set; } = [];

    public int? Seed { get; set; }

    public double RateTolerance { get; set; }

    public double InterArrivalSignificance { get; set; }

    public int InterArrivalSamples { get; set; }

    public double IndependencePValue { get; set; }

    public int MinimumSamples { get; set; }

    public double MaxSendLatenessMicroseconds { get; set; }

    public int MaxSendBatch { get; set; } = new LoadGeneratorOptions().MaxSendBatch; // a coordinator that does not say keeps the default

    public double SendWindowMicroseconds { get; set; }

    public static AgentSettings From(LoadGeneratorOptions options, int agentIndex) => new()
    {
        Connections = options.Connections,
        LatencyConnections = options.LatencyConnections,
        SendingThreads = options.SendingThreads,
        MaxInFlight = options.MaxInFlight,
        TimeoutSeconds = options.Timeout.TotalSeconds,
        Distribution = options.Distribution.ToString(),
        WarmUpSeconds = options.WarmUp.TotalSeconds,
        DurationSeconds = options.Duration.TotalSeconds,
        Percentiles = options.Percentiles.ToList(),
        Seed = options.Seed is { } seed ? unchecked(seed + 7919 * agentIndex) : null, // distinct schedules per agent
        RateTolerance = options.Checks.RateTolerance,
        InterArrivalSignificance = options.Checks.InterArrivalSignificance,
        InterArrivalSamples = options.Checks.InterArrivalSamples,
        IndependencePValue = options.Checks.IndependencePValue,
        MinimumSamples = options.Checks.MinimumSamples,
        MaxSendLatenessMicroseconds = options.Checks.MaxSendLateness.TotalMicroseconds,
        MaxSendBatch = options.MaxSendBatch,
        SendWindowMicroseconds = options.SendWindow.TotalMicroseconds,
    };

    public LoadGeneratorOptions ToOptions() => new()
    {
        Connections = Connections,
        LatencyConnections = LatencyConnections,
        SendingThreads = SendingThreads,
        MaxInFlight = MaxInFlight,
        Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
        Distribution = Enum.Parse<InterArrivalDistribution>(Distribution),
        WarmUp = TimeSpan.FromSeconds(WarmUpSeconds),
        Duration = TimeSpan.FromSeconds(DurationSeconds),
        Percentiles = Percentiles.ToArray(),
        Seed = Seed,
        Checks = new SelfCheckOptions
        {
            RateTolerance = RateTolerance,
            InterArrivalSignificance = InterArrivalSignificance,
            InterArrivalSamples = InterArrivalSamples,
            IndependencePValue = IndependencePValue,
            MinimumSamples = MinimumSamples,
            MaxSendLateness = TimeSpan.FromMicroseconds(MaxSendLatenessMicroseconds),
        },
        MaxSendBatch = MaxSendBatch,
        SendWindow = TimeSpan.FromMicroseconds(SendWindowMicroseconds),
    };
}

/// <summary>
/// Newline-delimited JSON messages over a stream, each line at most <see cref="MaxLineBytes"/> long, so a peer that
/// never sends a newline cannot grow our memory without bound.
/// </summary>
internal sealed class AgentChannel : IAsyncDisposable
{
    public const int MaxLineBytes = 64 * 1024 * 1024;

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private int _start;
    private int _end;

    public AgentChannel(Stream stream) => _stream = stream;

    public async Task SendAsync(AgentMessage message, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, s_json);
        if (bytes.Length > MaxLineBytes)
        {
            // The peer would refuse it and drop the connection: say so here, where the cause is known.
            throw new InvalidOperationException($"A {message.Type} message of {bytes.Length} bytes is over the {MaxLineBytes}-byte limit of the agent protocol.");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The next message; null when the peer closed the connection.</summary>
    public async Task<AgentMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var length = (newline >= 0 ? newline : _end) - _start;
            if (line.Length + length > MaxLineBytes)
            {
                // Checked before the bytes are kept: a line never holds more than the bound.
                throw new InvalidDataException($"A message longer than {MaxLineBytes} bytes: not a TailGuard load agent peer.");
            }

            line.Write(_buffer, _start, length);
            if (newline >= 0)
            {
                _start = newline + 1;
                break;
            }

            _start = _end = 0;

            var read = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            _end = read;
        }

        try
        {
            return JsonSerializer.Deserialize<AgentMessage>(line.GetBuffer().AsSpan(0, (int)line.Length), s_json)
                ?? throw new InvalidDataException("An empty message.");
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"A malformed message ({error.Message}): not a TailGuard load agent peer.", error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }

    public static string Describe(AgentMessage message)
        => message.Type == "error" ? message.Message ?? "unknown error" : Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(message, s_json));
}
