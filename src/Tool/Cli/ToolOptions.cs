using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Linq;
using System.Net;

namespace TailGuard.Tool.Cli;

/// <summary>An option with a default that help shows in the option's own syntax ("1s", not "00:00:01").</summary>
internal sealed class Valued<T>(Option<T?> option, T defaultValue)
    where T : struct
{
    public Option<T?> Option { get; } = option;

    public T Default { get; } = defaultValue;

    public T Get(ParseResult parse) => parse.GetValue(Option) ?? Default;

    public bool IsGiven(ParseResult parse) => parse.GetResult(Option) is { Implicit: false };
}

/// <summary>
/// Option factories for the shared value syntaxes (<see cref="Quantities"/>), so every command spells endpoints,
/// sizes, durations and rates the same way and reports a malformed value in the same words.
/// </summary>
internal static class ToolOptions
{
    public static Option<IPEndPoint?> EndPoint(string name, string description, bool allowPortZero = false)
        => Reference(name, description, "HOST:PORT", text => Quantities.EndPoint(text, allowPortZero));

    public static Option<IReadOnlyList<IPEndPoint>?> EndPoints(string name, string description)
    {
        var option = new Option<IReadOnlyList<IPEndPoint>?>(name) { Description = description, HelpName = "HOST:PORT[,HOST:PORT...]", Arity = ArgumentArity.OneOrMore };
        option.CustomParser = result =>
        {
            var list = new List<IPEndPoint>();
            foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            {
                var (value, error) = Quantities.EndPoint(text, allowPortZero: false);
                if (error is not null)
                {
                    result.AddError($"{name}: {error}");
                    return null;
                }

                list.Add(value!);
            }

            return list;
        };
        return option;
    }

    public static Valued<int> Size(string name, string description, int defaultValue, int max)
        => Value(name, description, "BYTES", defaultValue.ToString(CultureInfo.InvariantCulture), text => Quantities.Size(text, max), defaultValue);

    public static Valued<TimeSpan> Duration(string name, string description, TimeSpan defaultValue)
        => Value(name, description, "DURATION", Format(defaultValue), Quantities.Duration, defaultValue);

    public static Valued<int> Count(string name, string description, int defaultValue, int min, int max, string? defaultText = null)
        => Value(
            name,
            description,
            "N",
            defaultText ?? defaultValue.ToString(CultureInfo.InvariantCulture),
            text => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? (value, null)
                : (null, $"'{text}' is not a whole number from {min} to {max}"),
            defaultValue);

    public static Valued<double> Percent(string name, string description, double defaultValue, double max)
        => Value(name, description, "PERCENT", (defaultValue * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%", text => Quantities.Percent(text, max), defaultValue);

    public static Valued<T> Choice<T>(string name, string description, T defaultValue, IReadOnlyDictionary<string, T> choices)
        where T : struct
        => Value(
            name,
            description,
            string.Join('|', choices.Keys),
            choices.FirstOrDefault(c => c.Value.Equals(defaultValue)).Key ?? "the runtime's",
            text => choices.TryGetValue(text, out var value) ? (value, null) : (null, $"'{text}' is not one of {string.Join(", ", choices.Keys)}"),
            defaultValue);

    /// <summary>An option whose single value <paramref name="parse"/> turns into a value or an error message.</summary>
    public static Valued<T> Value<T>(string name, string description, string helpName, string defaultText, Func<string, (T? Value, string? Error)> parse, T defaultValue)
        where T : struct
        => new(Create(name, $"{description} [default: {defaultText}]", helpName, parse), defaultValue);

    /// <summary>An option (no default: null when absent) whose single value <paramref name="parse"/> turns into an object or an error message.</summary>
    public static Option<T?> Reference<T>(string name, string description, string helpName, Func<string, (T? Value, string? Error)> parse)
        where T : class
        => Create(name, description, helpName, parse);

    /// <summary>The one custom parser every option here uses: the value, or the error prefixed with the option's name.</summary>
    private static Option<T> Create<T>(string name, string description, string helpName, Func<string, (T Value, string? Error)> parse)
    {
        var option = new Option<T>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result =>
        {
            var (value, error) = parse(result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty);
            if (error is not null)
            {
                result.AddError($"{name}: {error}");
                return default!;
            }

            return value;
        };
        return option;
    }

    /// <summary>"1s", "500ms", "100us": a duration as the options spell it.</summary>
    public static string Format(TimeSpan value)
        => value.TotalSeconds >= 1 && value.TotalSeconds == Math.Floor(value.TotalSeconds) ? $"{value.TotalSeconds:0}s"
            : value.TotalMilliseconds >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms")
            : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMicroseconds:0.###}us");
}
