using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace TailGuard.Load;

/// <summary>What a report says about the machine the numbers came from (a busy machine's numbers are not a quiet one's).</summary>
/// <param name="Machine">The host name.</param>
/// <param name="Processors">Logical processors.</param>
/// <param name="LoadAverage">/proc/loadavg's 1, 5 and 15 minute averages when the run began, or empty where there is none.</param>
/// <param name="Started">When the run began (UTC).</param>
/// <param name="Runtime">The .NET runtime.</param>
public sealed record LoadEnvironment(string Machine, int Processors, string LoadAverage, DateTimeOffset Started, string Runtime)
{
    /// <summary>Reads this machine's environment now.</summary>
    /// <returns>The environment.</returns>
    public static LoadEnvironment Capture()
        => new(Environment.MachineName, Environment.ProcessorCount, ReadLoadAverage(), DateTimeOffset.UtcNow, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);

    /// <summary>The 1, 5 and 15 minute load averages ("2.10 1.85 1.40"), or empty where /proc/loadavg does not exist.</summary>
    /// <returns>The averages.</returns>
    public static string ReadLoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? string.Join(' ', fields[0], fields[1], fields[2]) : string.Empty;
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

/// <summary>A whole run: the environment, then one sweep per target.</summary>
public sealed class LoadReport
{
    /// <summary>The machine the run began on.</summary>
    public required LoadEnvironment Environment { get; init; }

    /// <summary>The load averages when the run ended.</summary>
    public string LoadAverageAtEnd { get; init; } = string.Empty;

    /// <summary>The sweeps, one per target.</summary>
    public required IReadOnlyList<LoadSweepResult> Sweeps { get; init; }

    /// <summary>Formats a number of requests per second as "12.5k" or "950".</summary>
    /// <param name="rate">Requests per second.</param>
    /// <returns>The short form.</returns>
    public static string ShortRate(double rate)
        => rate >= 1_000_000 ? (rate / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M"
            : rate >= 1_000 ? (rate / 1_000).ToString("0.##", CultureInfo.InvariantCulture) + "k"
            : rate.ToString("0", CultureInfo.InvariantCulture);
}
