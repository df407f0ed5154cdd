using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TailGuard.R2P2;

namespace TailGuard.Samples;

/// <summary>
/// A sample's arguments: <c>--name value</c> options and <c>--flag</c> switches from a fixed set. Anything unknown,
/// repeated, missing its value or out of range is a <see cref="UsageException"/>; <c>--help</c> and <c>-h</c> set
/// <see cref="Help"/>.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private CommandLine(string? command) => Command = command;

    /// <summary>The command the options belong to, for messages; null for a program without commands (its name already starts the message).</summary>
    public string? Command { get; }

    /// <summary>Whether <c>--help</c> or <c>-h</c> was given.</summary>
    public bool Help { get; private set; }

    /// <summary>Parses <paramref name="args"/>, accepting only the options named in <paramref name="valued"/> and <paramref name="flags"/>.</summary>
    public static CommandLine Parse(string? command, ReadOnlySpan<string> args, IReadOnlyCollection<string> valued, IReadOnlyCollection<string>? flags = null)
    {
        var line = new CommandLine(command);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                line.Help = true;
            }
            else if (Contains(valued, name))
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw line.Usage($"{name} needs a value.");
                }

                line.Add(name, args[++i]);
            }
            else if (flags is not null && Contains(flags, name))
            {
                line.Add(name, null);
            }
            else
            {
                throw line.Usage(name.StartsWith('-') ? $"unknown option '{name}'." : $"unexpected argument '{name}'.");
            }
        }

        return line;
    }

    /// <summary>Whether the option or flag was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        if (!_options.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw Usage($"{name} must be a whole number from {min} to {max} (got '{text}').");
    }

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/>, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback, double min, double max)
    {
        if (!_options.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= min && value <= max
            ? value
            : throw Usage(string.Create(CultureInfo.InvariantCulture, $"{name} must be a number from {min} to {max} (got '{text}')."));
    }

    /// <summary>An IPv4 <c>HOST:PORT</c> (the host a literal address or a name), or null when absent.</summary>
    public PacketAddress? Address(string name)
    {
        if (!_options.TryGetValue(name, out string? text))
        {
            return null;
        }

        int colon = text!.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort port) || port == 0)
        {
            throw Usage($"{name} must be HOST:PORT with a port from 1 to 65535 (got '{text}').");
        }

        string host = text[..colon];
        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            try
            {
                address = Array.Find(Dns.GetHostAddresses(host), a => a.AddressFamily == AddressFamily.InterNetwork);
            }
            catch (SocketException)
            {
                address = null;
            }
        }

        if (address is null || address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw Usage($"{name}: '{host}' is not an IPv4 address or a name that resolves to one.");
        }

        return PacketAddress.FromEndPoint(new IPEndPoint(address, port));
    }

    private static bool Contains(IReadOnlyCollection<string> names, string name)
    {
        foreach (string candidate in names)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private void Add(string name, string? value)
    {
        if (!_options.TryAdd(name, value))
        {
            throw Usage($"{name} is given twice.");
        }
    }

    private UsageException Usage(string message) => new(Command is null ? message : $"{Command}: {message}");
}

/// <summary>Bad arguments: the program prints one line naming the problem and exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
