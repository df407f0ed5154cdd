using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Tool.Cli;

/// <summary>
/// The value syntaxes every command shares: endpoints (HOST:PORT, [::1]:PORT), sizes (64, 4k, 1MiB), durations
/// (100us, 5ms, 2s), rates (5000, 10k, 1.5M) and their lists, percentages and percentage ranges (10%..90%:10%). Each
/// parser returns null and an error message naming what was expected, never throws.
/// </summary>
internal static class Quantities
{
    public static (IPEndPoint? Value, string? Error) EndPoint(string text, bool allowPortZero)
    {
        const string expected = "HOST:PORT, such as 127.0.0.1:9000 or [::1]:9000";
        string host, port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                return (null, $"'{text}' is not {expected}");
            }

            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return (null, $"'{text}' is not {expected} (write IPv6 addresses in brackets)");
            }

            host = text[..colon];
            port = text[(colon + 1)..];
        }

        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || (number == 0 && !allowPortZero))
        {
            return (null, $"'{port}' in '{text}' is not a port (1 to 65535{(allowPortZero ? ", or 0 for any free port" : string.Empty)})");
        }

        if (IPAddress.TryParse(host, out var address))
        {
            return (new IPEndPoint(address, number), null);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            return chosen is null ? (null, $"'{host}' has no address") : (new IPEndPoint(chosen, number), null);
        }
        catch (SocketException)
        {
            return (null, $"cannot resolve '{host}'");
        }
        catch (ArgumentException)
        {
            return (null, $"'{host}' is not a host name or address");
        }
    }

    public static (int? Value, string? Error) Size(string text, int max)
    {
        var (number, unit) = Split(text);
        long multiplier = unit.ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1024,
            "M" or "MB" or "MIB" => 1024 * 1024,
            _ => 0,
        };
        if (multiplier == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value * multiplier > max || value * multiplier != Math.Floor(value * multiplier))
        {
            return (null, $"'{text}' is not a size from 0 to {max} bytes (such as 64, 1500, 4k or 1MiB)");
        }

        return ((int)(value * multiplier), null);
    }

    public static (TimeSpan? Value, string? Error) Duration(string text)
    {
        var (number, unit) = Split(text);
        double? seconds = unit.ToLowerInvariant() switch
        {
            "ns" => 1e-9,
            "us" or "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1,
            "m" or "min" => 60,
            _ => null,
        };
        if (seconds is null || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= 0) || double.IsInfinity(value) || value * seconds > TimeSpan.FromDays(1).TotalSeconds)
        {
            return (null, $"'{text}' is not a duration with a unit (such as 100us, 5ms, 2s or 1min)");
        }

        return (TimeSpan.FromTicks((long)Math.Round(value * seconds.Value * TimeSpan.TicksPerSecond)), null); // FromSeconds would turn 200us into 199.9us
    }

    public static (double? Value, string? Error) Rate(string text)
    {
        var trimmed = text.EndsWith("/s", StringComparison.OrdinalIgnoreCase) ? text[..^2] : text;
        var (number, unit) = Split(trimmed);
        double? multiplier = unit switch
        {
            "" => 1,
            "k" or "K" => 1e3,
            "M" => 1e6,
            _ => null,
        };
        if (multiplier is null || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || double.IsInfinity(value) || value * multiplier > 1e9)
        {
            return (null, $"'{text}' is not a rate in requests per second (a positive number such as 5000, 10k or 1.5M)");
        }

        return (value * multiplier.Value, null);
    }

    public static (IReadOnlyList<double>? Value, string? Error) Rates(string text)
    {
        var rates = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var (rate, error) = Rate(part);
            if (error is not null)
            {
                return (null, error);
            }

            rates.Add(rate!.Value);
        }

        return (rates, null);
    }

    /// <summary>"10%" → 0.1.</summary>
    public static (double? Value, string? Error) Percent(string text, double max)
    {
        if (!text.EndsWith('%') || !double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || value > max * 100)
        {
            return (null, $"'{text}' is not a percentage above 0% and at most {max * 100:0}% (such as 10%)");
        }

        return (value / 100, null);
    }

    /// <summary>"10%..90%" (step 10%) or "10%..90%:20%" → the fractions.</summary>
    public static (IReadOnlyList<double>? Value, string? Error) PercentRange(string text)
    {
        const string expected = "a range of percentages such as 10%..90% or 10%..90%:20% (from..to:step)";
        var dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            return (null, $"'{text}' is not {expected}");
        }

        var rest = text[(dots + 2)..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        var (from, fromError) = Percent(text[..dots], 2);
        var (to, toError) = Percent(colon < 0 ? rest : rest[..colon], 2);
        var (step, stepError) = colon < 0 ? (0.1, null) : Percent(rest[(colon + 1)..], 2);
        if (fromError is not null || toError is not null || stepError is not null || to < from)
        {
            return (null, $"'{text}' is not {expected}");
        }

        return (TailGuard.Load.SweepPlan.Steps(from!.Value, to!.Value, step!.Value), null);
    }

    public static (IReadOnlyList<double>? Value, string? Error) Percentiles(string text)
    {
        var values = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var number = part.StartsWith('p') ? part[1..] : part;
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0 && value < 100))
            {
                return (null, $"'{part}' is not a percentile strictly between 0 and 100 (such as 50, 99, p99.9)");
            }

            values.Add(value);
        }

        return (values, null);
    }

    /// <summary>Splits "1.5ms" into ("1.5", "ms").</summary>
    private static (string Number, string Unit) Split(string text)
    {
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.' || (end == 0 && (text[end] == '-' || text[end] == '+'))))
        {
            end++;
        }

        return (text[..end], text[end..].Trim());
    }
}
