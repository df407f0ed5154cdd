using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TailGuard.Samples.Echo;

/// <summary>Parses "--name value" and "--flag" options; anything unknown or malformed is a <see cref="UsageException"/>.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public CommandLine(string command, ReadOnlySpan<string> args, IReadOnlySet<string> valued, IReadOnlySet<string> flags)
    {
        Command = command;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (valued.Contains(name))
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"{command}: {name} needs a value.");
                }

                _options[name] = args[++i];
            }
            else if (flags.Contains(name))
            {
                _options[name] = null;
            }
            else
            {
                throw new UsageException($"{command}: unknown option '{name}'.");
            }
        }
    }

    public string Command { get; }

    public bool Has(string name) => _options.ContainsKey(name);

    public int Int(string name, int fallback, int min, int max)
    {
        if (!_options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new UsageException($"{Command}: {name} must be a whole number from {min} to {max} (got '{text}').");
        }

        return value;
    }

    public IPAddress Address(string name, IPAddress fallback)
    {
        if (!_options.TryGetValue(name, out var text))
        {
            return fallback;
        }

        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new UsageException($"{Command}: {name} must be an IPv4 address such as 127.0.0.1 (got '{text}').");
        }

        return address;
    }

    public IPEndPoint? EndPoint(string name)
    {
        if (!_options.TryGetValue(name, out var text))
        {
            return null;
        }

        var colon = text!.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            throw new UsageException($"{Command}: {name} must be HOST:PORT (got '{text}').");
        }

        var host = text[..colon];
        if (!IPAddress.TryParse(host, out var address))
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
            throw new UsageException($"{Command}: cannot resolve '{host}' to an IPv4 address.");
        }

        return new IPEndPoint(address, port);
    }
}

/// <summary>Bad arguments: the program prints the message and the usage text, and exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
