using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;
using TailGuard.R2P2;

namespace TailGuard.Hosting;

/// <summary>Checks a client's settings, naming the client and the setting in every failure.</summary>
internal sealed class R2P2ClientHostOptionsValidator : IValidateOptions<R2P2ClientHostOptions>
{
    public ValidateOptionsResult Validate(string? name, R2P2ClientHostOptions options)
    {
        var failures = new List<string>();
        var client = $"R2P2 client '{name}'";
        if (string.IsNullOrWhiteSpace(options.Server))
        {
            failures.Add($"{client}: Server is required (the server's address and port, such as 10.0.0.2:9000 or [fd00::2]:9000).");
        }
        else if (!PacketAddress.TryParse(options.Server, out var server))
        {
            failures.Add($"{client}: Server '{options.Server}' is not an IP address and port such as 10.0.0.2:9000 (host names are not resolved).");
        }
        else if (server.Port == 0)
        {
            failures.Add($"{client}: Server '{options.Server}' has port 0; name the port the server listens on.");
        }

        if (options.Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            failures.Add($"{client}: Timeout must be positive; it is {timeout}.");
        }

        if (options.MaxInFlight is < 1 or > 65_536)
        {
            failures.Add($"{client}: MaxInFlight must be between 1 and 65536; it is {options.MaxInFlight}.");
        }

        if (options.PayloadSize is { } payload && payload is < 64 or > 65_000)
        {
            failures.Add($"{client}: PayloadSize must be between 64 and 65000 bytes; it is {payload}.");
        }

        FailureLogSettings.Validate(client, options.FailureLogLimit, options.FailureLogInterval, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
