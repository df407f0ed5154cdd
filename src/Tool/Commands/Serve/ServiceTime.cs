using System;
using System.Diagnostics;
using System.Globalization;
using TailGuard.Tool.Cli;

namespace TailGuard.Tool.Commands.Serve;

/// <summary>
/// A synthetic service-time distribution for experiments (<c>tailguard serve --service-time</c>): <c>fixed:T</c>,
/// <c>exp:MEAN</c> (exponential) or <c>bimodal:P%:A:B</c> (P% of requests take A, the rest B). See docs/router.md,
/// "Synthetic service times".
/// </summary>
internal sealed class ServiceTime
{
    private const string Syntax = "fixed:DURATION, exp:MEAN or bimodal:PERCENT:A:B (such as fixed:50us, exp:1ms, bimodal:90%:500us:5ms)";

    private ServiceTime(string kind, TimeSpan first, TimeSpan second, double firstShare)
    {
        Kind = kind;
        First = first;
        Second = second;
        FirstShare = firstShare;
    }

    /// <summary>fixed, exp or bimodal.</summary>
    public string Kind { get; }

    /// <summary>The fixed time, the exponential's mean, or the bimodal's first value.</summary>
    public TimeSpan First { get; }

    /// <summary>The bimodal's second value.</summary>
    public TimeSpan Second { get; }

    /// <summary>The share of requests that take <see cref="First"/> (bimodal).</summary>
    public double FirstShare { get; }

    public TimeSpan Mean => Kind == "bimodal" ? TimeSpan.FromTicks((long)((FirstShare * First.Ticks) + ((1 - FirstShare) * Second.Ticks))) : First;

    public static (ServiceTime? Value, string? Error) Parse(string text)
    {
        var parts = text.Split(':');
        switch (parts[0].ToLowerInvariant())
        {
            case "fixed" or "exp" or "exponential" when parts.Length == 2:
                var (time, timeError) = Time(parts[1], text);
                var kind = parts[0].StartsWith("exp", StringComparison.OrdinalIgnoreCase) ? "exp" : "fixed";
                return timeError is not null ? (null, timeError) : (new ServiceTime(kind, time!.Value, time.Value, 1), null);
            case "bimodal" when parts.Length == 4:
                var (share, shareError) = Quantities.Percent(parts[1], 1);
                if (shareError is not null)
                {
                    return (null, $"'{parts[1]}' in '{text}' is not a percentage (the share of requests that take the first time, such as 90%)");
                }

                var (a, aError) = Time(parts[2], text);
                var (b, bError) = Time(parts[3], text);
                return (aError ?? bError) is { } error ? (null, error) : (new ServiceTime("bimodal", a!.Value, b!.Value, share!.Value), null);
            default:
                return (null, $"'{text}' is not a service time: use {Syntax}");
        }
    }

    /// <summary>One service time, in <see cref="Stopwatch"/> ticks.</summary>
    public long Sample(Random random)
    {
        var time = Kind switch
        {
            "fixed" => First.TotalSeconds,
            "exp" => -First.TotalSeconds * Math.Log(1 - random.NextDouble()),
            _ => random.NextDouble() < FirstShare ? First.TotalSeconds : Second.TotalSeconds,
        };
        return (long)(time * Stopwatch.Frequency);
    }

    /// <summary>As <see cref="Parse"/> reads it.</summary>
    public override string ToString() => Kind switch
    {
        "bimodal" => string.Create(CultureInfo.InvariantCulture, $"bimodal:{FirstShare * 100:0.##}%:{ToolOptions.Format(First)}:{ToolOptions.Format(Second)}"),
        _ => $"{Kind}:{ToolOptions.Format(First)}",
    };

    private static (TimeSpan? Value, string? Error) Time(string part, string text)
    {
        var (value, error) = Quantities.Duration(part);
        if (error is not null)
        {
            return (null, $"'{part}' in '{text}' is not a duration with a unit (such as 50us or 1ms)");
        }

        return value!.Value > TimeSpan.FromSeconds(10) ? (null, $"'{part}' in '{text}' is longer than the 10 s a service time may take") : (value, null);
    }
}
