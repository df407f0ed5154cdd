using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using System.Text;
using TailGuard.R2P2;

namespace TailGuard.Tool.Cli;

/// <summary>
/// <c>--receive-mode</c>, spelled from <see cref="ReceiveMode"/>'s own values (busy-poll for BusyPoll), so a mode the
/// runtime gains appears here by itself, and <c>--busy-poll</c> as its shorthand.
/// </summary>
internal sealed class ReceiveModes
{
    private ReceiveModes(Option<ReceiveMode?> mode, Option<bool> busyPoll)
    {
        Mode = mode;
        BusyPoll = busyPoll;
    }

    public Option<ReceiveMode?> Mode { get; }

    public Option<bool> BusyPoll { get; }

    /// <summary>The two options; <paramref name="defaultText"/> says what the command does without them (its help's [default: ...]).</summary>
    public static ReceiveModes Create(string defaultText = "the runtime's default")
    {
        var choices = Enum.GetValues<ReceiveMode>().ToDictionary(Kebab, m => m, StringComparer.Ordinal);
        var mode = new Option<ReceiveMode?>("--receive-mode")
        {
            Description = $"How receive loops wait for datagrams. [default: {defaultText}]",
            HelpName = string.Join('|', choices.Keys),
        };
        mode.CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            if (choices.TryGetValue(text, out var value))
            {
                return value;
            }

            result.AddError($"--receive-mode: '{text}' is not one of {string.Join(", ", choices.Keys)}");
            return null;
        };
        return new ReceiveModes(mode, new Option<bool>("--busy-poll") { Description = "Shorthand for --receive-mode busy-poll: spin on non-blocking receives (one core per loop)." });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Mode);
        command.Options.Add(BusyPoll);
    }

    /// <summary>The mode asked for, or <paramref name="fallback"/>; both flags at once must agree.</summary>
    public ReceiveMode Resolve(ParseResult parse, ReceiveMode fallback)
    {
        var mode = parse.GetValue(Mode);
        if (parse.GetValue(BusyPoll))
        {
            if (mode is { } other && other != ReceiveMode.BusyPoll)
            {
                throw ToolException.Usage($"--busy-poll contradicts --receive-mode {Kebab(other)}");
            }

            return ReceiveMode.BusyPoll;
        }

        return mode ?? fallback;
    }

    public static string Kebab(ReceiveMode mode)
    {
        var name = mode.ToString();
        var text = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }
}
